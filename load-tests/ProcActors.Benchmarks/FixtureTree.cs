using System.Globalization;
using System.Text;

namespace ProcActors.Benchmarks;

/// <summary>
/// A generated procfs tree of N processes in a temp folder, made from real files of this machine's /proc: for each
/// process stat, status, io, limits, smaps_rollup, cmdline, cgroup, wchan, an exe symlink, fd/ with a few symlinks
/// and task/&lt;tid&gt;/ (stat, status, io, wchan) for 2 threads; at the root uptime and stat (boot time).
/// Real processes serve as templates in turn; pids (and tids, thread counts) are rewritten, the rest is kept byte
/// for byte. Reading it costs the VFS and page cache instead of procfs's generators: what is left is the agent's own
/// work plus the syscalls.
/// </summary>
public sealed class FixtureTree : IDisposable
{
    public const int FirstPid = 1000;
    private static readonly Encoding Bytes = Encoding.Latin1; // round-trips any byte: comms may be invalid UTF-8

    private FixtureTree(string root, int processes, int templates)
    {
        Root = root;
        Processes = processes;
        Templates = templates;
    }

    public string Root { get; }

    public int Processes { get; }

    /// <summary>How many distinct real processes the tree was made from.</summary>
    public int Templates { get; }

    /// <param name="parent">Folder to create the tree in: PROCACTORS_BENCH_TMP, else the system temp folder.</param>
    /// <param name="source">The procfs to copy templates from.</param>
    public static FixtureTree Create(int processes, string? parent = null, string source = "/proc")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(processes, 1);
        var templates = CaptureTemplates(source, max: 16);
        if (templates.Count == 0) throw new InvalidOperationException($"no readable user process in {source} to copy a fixture from");

        parent ??= Environment.GetEnvironmentVariable("PROCACTORS_BENCH_TMP") is { Length: > 0 } tmp ? tmp : Path.GetTempPath();
        var root = Path.Combine(parent, $"procactors-fixture-{processes}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(root);
        try
        {
            File.WriteAllBytes(Path.Combine(root, "uptime"), File.ReadAllBytes(Path.Combine(source, "uptime")));
            File.WriteAllBytes(Path.Combine(root, "stat"), File.ReadAllBytes(Path.Combine(source, "stat")));
            for (var i = 0; i < processes; i++)
            {
                var pid = FirstPid + i;
                var secondTid = FirstPid + processes + i; // threads get ids above every process, as they would live
                WriteProcess(Path.Combine(root, pid.ToString(CultureInfo.InvariantCulture)), pid, secondTid, templates[i % templates.Count]);
            }
        }
        catch
        {
            Directory.Delete(root, recursive: true);
            throw;
        }
        return new FixtureTree(root, processes, templates.Count);
    }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }

    private sealed record ThreadFiles(byte[] Stat, byte[] Status, byte[] Io, byte[] Wchan);

    private sealed record Template(
        byte[] Stat, byte[] Status, byte[] Io, byte[] Limits, byte[] SmapsRollup, byte[] Cmdline, byte[] Cgroup,
        byte[] Wchan, string Exe, string[] Fds, ThreadFiles[] Threads);

    /// <summary>User processes (with a memory map, a command line and a readable exe), distinct command names first.</summary>
    private static List<Template> CaptureTemplates(string source, int max)
    {
        var candidates = new List<(string Comm, Template Template)>();
        foreach (var dir in Directory.EnumerateDirectories(source))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var smaps = File.ReadAllBytes(Path.Combine(dir, "smaps_rollup"));
                var cmdline = File.ReadAllBytes(Path.Combine(dir, "cmdline"));
                var exe = new FileInfo(Path.Combine(dir, "exe")).LinkTarget;
                if (smaps.Length == 0 || cmdline.Length == 0 || string.IsNullOrEmpty(exe)) continue;
                var fds = new List<string>();
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")).Take(6))
                {
                    if (new FileInfo(fd).LinkTarget is { } target) fds.Add(target);
                }
                while (fds.Count < 3) fds.Add("/dev/null");
                var threads = new List<ThreadFiles>();
                foreach (var task in Directory.EnumerateDirectories(Path.Combine(dir, "task")).Take(2))
                {
                    threads.Add(new ThreadFiles(
                        File.ReadAllBytes(Path.Combine(task, "stat")),
                        File.ReadAllBytes(Path.Combine(task, "status")),
                        File.ReadAllBytes(Path.Combine(task, "io")),
                        File.ReadAllBytes(Path.Combine(task, "wchan"))));
                }
                if (threads.Count == 0) continue;
                if (threads.Count == 1) threads.Add(threads[0]); // a single-threaded template lends its thread twice
                var template = new Template(
                    File.ReadAllBytes(Path.Combine(dir, "stat")),
                    File.ReadAllBytes(Path.Combine(dir, "status")),
                    File.ReadAllBytes(Path.Combine(dir, "io")),
                    File.ReadAllBytes(Path.Combine(dir, "limits")),
                    smaps,
                    cmdline,
                    File.ReadAllBytes(Path.Combine(dir, "cgroup")),
                    File.ReadAllBytes(Path.Combine(dir, "wchan")),
                    exe,
                    [.. fds],
                    [.. threads]);
                candidates.Add((File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n'), template));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // exited while read, or not ours to read: take another
            }
        }
        var distinct = candidates.DistinctBy(c => c.Comm).ToList();
        return [.. distinct.Concat(candidates.Except(distinct)).Take(max).Select(c => c.Template)];
    }

    private static void WriteProcess(string dir, int pid, int secondTid, Template t)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "stat"), RewriteStat(t.Stat, pid, threads: 2));
        File.WriteAllBytes(Path.Combine(dir, "status"), RewriteStatus(t.Status, pid, pid, threads: 2));
        File.WriteAllBytes(Path.Combine(dir, "io"), t.Io);
        File.WriteAllBytes(Path.Combine(dir, "limits"), t.Limits);
        File.WriteAllBytes(Path.Combine(dir, "smaps_rollup"), t.SmapsRollup);
        File.WriteAllBytes(Path.Combine(dir, "cmdline"), t.Cmdline);
        File.WriteAllBytes(Path.Combine(dir, "cgroup"), t.Cgroup);
        File.WriteAllBytes(Path.Combine(dir, "wchan"), t.Wchan);
        File.CreateSymbolicLink(Path.Combine(dir, "exe"), t.Exe);
        var fd = Directory.CreateDirectory(Path.Combine(dir, "fd")).FullName;
        for (var i = 0; i < t.Fds.Length; i++) File.CreateSymbolicLink(Path.Combine(fd, i.ToString(CultureInfo.InvariantCulture)), t.Fds[i]);
        int[] tids = [pid, secondTid];
        for (var i = 0; i < tids.Length; i++)
        {
            var thread = t.Threads[i];
            var task = Directory.CreateDirectory(Path.Combine(dir, "task", tids[i].ToString(CultureInfo.InvariantCulture))).FullName;
            File.WriteAllBytes(Path.Combine(task, "stat"), RewriteStat(thread.Stat, tids[i], threads: 2));
            File.WriteAllBytes(Path.Combine(task, "status"), RewriteStatus(thread.Status, tids[i], pid, threads: 2));
            File.WriteAllBytes(Path.Combine(task, "io"), thread.Io);
            File.WriteAllBytes(Path.Combine(task, "wchan"), thread.Wchan);
        }
    }

    /// <summary>Sets the pid (field 1) and num_threads (field 20) of a stat line; the comm is kept byte for byte.</summary>
    private static byte[] RewriteStat(byte[] stat, int pid, int threads)
    {
        var text = Bytes.GetString(stat);
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        var fields = text[(close + 2)..].Split(' ');
        fields[20 - 3] = threads.ToString(CultureInfo.InvariantCulture); // fields[0] is field 3 (state)
        return Bytes.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{pid} {text[open..(close + 1)]} {string.Join(' ', fields)}"));
    }

    private static byte[] RewriteStatus(byte[] status, int pid, int tgid, int threads)
    {
        var lines = Bytes.GetString(status).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("Pid:", StringComparison.Ordinal) || line.StartsWith("NSpid:", StringComparison.Ordinal))
                lines[i] = line[..(line.IndexOf(':', StringComparison.Ordinal) + 1)] + "\t" + pid.ToString(CultureInfo.InvariantCulture);
            else if (line.StartsWith("Tgid:", StringComparison.Ordinal) || line.StartsWith("NStgid:", StringComparison.Ordinal))
                lines[i] = line[..(line.IndexOf(':', StringComparison.Ordinal) + 1)] + "\t" + tgid.ToString(CultureInfo.InvariantCulture);
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                lines[i] = "Threads:\t" + threads.ToString(CultureInfo.InvariantCulture);
        }
        return Bytes.GetBytes(string.Join('\n', lines));
    }
}
