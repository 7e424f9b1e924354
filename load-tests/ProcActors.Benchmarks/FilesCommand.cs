using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ProcActors.Benchmarks;

/// <summary>
/// <c>files</c>: what each procfs file costs on its own. Each probe runs over every process of the root, R rounds,
/// with plain libc calls (no parsing): CPU of this thread (CLOCK_THREAD_CPUTIME_ID; split into user and sys in the
/// kernel's tick-sampled ratio, so the split needs many calls) and wall time per call. Shows where a scan's
/// kernel time goes and what a different way to read the same fact would save.
/// </summary>
public static class FilesCommand
{
    public const string Usage =
        """
        files [--root DIR] [--rounds R] [--spawn N]
          --root DIR    procfs to probe (default /proc)
          --rounds R    passes over all processes per probe (default 10)
          --spawn N     start N `sleep 600` children first; they (and only they) are killed and reaped at the end
        """;

    private delegate int Probe(int pid, int tid);

    public static int Run(string[] args)
    {
        var root = "/proc";
        var rounds = 10;
        var spawn = 0;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--root" when i + 1 < args.Length: root = args[++i]; break;
                case "--rounds" when i + 1 < args.Length: rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--spawn" when i + 1 < args.Length: spawn = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        using var children = spawn > 0 ? Children.SpawnSleepers(spawn) : null;
        var rootBytes = Encoding.UTF8.GetBytes(root.TrimEnd('/'));
        var pids = new List<(int Pid, int Tid)>();
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                // The first task is the main thread: the task/ probes read it like ReadThreads would.
                var tid = Directory.EnumerateDirectories(Path.Combine(dir, "task")).Select(t => int.Parse(Path.GetFileName(t), CultureInfo.InvariantCulture)).FirstOrDefault(pid);
                pids.Add((pid, tid));
            }
            catch (IOException)
            {
                // exited meanwhile
            }
        }

        var path = new byte[4096];
        var buffer = new byte[64 * 1024];
        ReadOnlySpan<byte> Path1(int pid, string file) => Build(path, rootBytes, pid, null, file);
        ReadOnlySpan<byte> PathT(int pid, int tid, string file) => Build(path, rootBytes, pid, tid, file);

        var probes = new List<(string Name, Probe Probe)>
        {
            ("stat (read until EOF, as FileBuffer.Read)", (p, _) => Native.ReadFile(Path1(p, "stat"), buffer, untilEof: true)),
            ("stat (one read)", (p, _) => Native.ReadFile(Path1(p, "stat"), buffer, untilEof: false)),
            ("stat (read until EOF), again: the order's share of the difference", (p, _) => Native.ReadFile(Path1(p, "stat"), buffer, untilEof: true)),
            ("status (one read)", (p, _) => Native.ReadFile(Path1(p, "status"), buffer, untilEof: false)),
            ("status", (p, _) => Native.ReadFile(Path1(p, "status"), buffer, untilEof: true)),
            ("io", (p, _) => Native.ReadFile(Path1(p, "io"), buffer, untilEof: true)),
            ("limits", (p, _) => Native.ReadFile(Path1(p, "limits"), buffer, untilEof: true)),
            ("smaps_rollup", (p, _) => Native.ReadFile(Path1(p, "smaps_rollup"), buffer, untilEof: true)),
            ("wchan", (p, _) => Native.ReadFile(Path1(p, "wchan"), buffer, untilEof: true)),
            ("fd/ count by readdir (as FileBuffer.CountEntries)", (p, _) => Native.CountEntries(Path1(p, "fd"))),
            ("fd/ count by stat st_size (Linux >= 6.2)", (p, _) => (int)Native.StatSize(Path1(p, "fd"))),
            ("task/ listing by readdir", (p, _) => Native.CountEntries(Path1(p, "task"))),
            ("task/<tid>/stat", (p, t) => Native.ReadFile(PathT(p, t, "stat"), buffer, untilEof: true)),
            ("task/<tid>/status", (p, t) => Native.ReadFile(PathT(p, t, "status"), buffer, untilEof: true)),
            ("task/<tid>/io", (p, t) => Native.ReadFile(PathT(p, t, "io"), buffer, untilEof: true)),
            ("task/<tid>/wchan", (p, t) => Native.ReadFile(PathT(p, t, "wchan"), buffer, untilEof: true)),
            ("stat+status+io+limits+wchan by absolute paths (as ProcfsReader)", (p, _) =>
            {
                var rc = 0;
                foreach (var file in FiveFiles) rc |= Native.ReadFile(Path1(p, file), buffer, untilEof: true);
                return rc;
            }),
            ("stat+status+io+limits+wchan by openat(/proc/<pid> O_PATH fd)", (p, _) =>
            {
                var dir = Native.OpenDirectoryHandle(Build(path, rootBytes, p, null, null));
                if (dir < 0) return -1;
                var rc = 0;
                foreach (var file in FiveFileNames) rc |= Native.ReadFileAt(dir, file, buffer);
                Native.CloseFd(dir);
                return rc;
            }),
            ("cmdline (static, new processes only)", (p, _) => Native.ReadFile(Path1(p, "cmdline"), buffer, untilEof: true)),
            ("cgroup (static, new processes only)", (p, _) => Native.ReadFile(Path1(p, "cgroup"), buffer, untilEof: true)),
            ("exe readlink (static, new processes only)", (p, _) => Native.ReadLinkInto(Path1(p, "exe"), buffer)),
        };

        // A whole pass first, unmeasured: every probe's code is at its final JIT tier, every dentry is cached.
        foreach (var (_, probe) in probes)
        {
            for (var r = 0; r < 2; r++)
            {
                foreach (var (pid, tid) in pids) probe(pid, tid);
            }
        }
        Thread.Sleep(500);

        Console.WriteLine($"root={root}  processes={pids.Count}  rounds={rounds}  spawned={spawn}");
        Console.WriteLine();
        Console.WriteLine("| probe | CPU µs/call | user | sys | wall µs/call | failed calls/round |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, probe) in probes)
        {
            var failed = 0L;
            var sampled = Native.ThreadCpuSampled();
            var cpu = Native.ThreadCpuMicros();
            var wall = Stopwatch.GetTimestamp();
            for (var r = 0; r < rounds; r++)
            {
                foreach (var (pid, tid) in pids)
                {
                    if (probe(pid, tid) < 0) failed++;
                }
            }
            var elapsed = Stopwatch.GetElapsedTime(wall);
            cpu = Native.ThreadCpuMicros() - cpu;
            sampled = Native.ThreadCpuSampled() - sampled;
            var calls = (double)rounds * pids.Count;
            // The exact total, split in the ratio of the tick-sampled user and system times.
            var sysShare = sampled.TotalMicros > 0 ? (double)sampled.SystemMicros / sampled.TotalMicros : double.NaN;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {cpu / calls:0.00} | {cpu * (1 - sysShare) / calls:0.00} | {cpu * sysShare / calls:0.00} | {elapsed.Ticks / 10.0 / calls:0.00} | {(double)failed / rounds:0} |"));
        }
        return 0;
    }

    private static readonly string[] FiveFiles = ["stat", "status", "io", "limits", "wchan"];
    private static readonly byte[][] FiveFileNames = [.. FiveFiles.Select(f => Encoding.ASCII.GetBytes(f + "\0"))];

    /// <summary>root/pid[/task/tid][/file], NUL-terminated, in the reused buffer (no allocation: the probes measure the calls).</summary>
    private static ReadOnlySpan<byte> Build(byte[] path, byte[] root, int pid, int? tid, string? file)
    {
        root.CopyTo(path, 0);
        var length = root.Length;
        path[length++] = (byte)'/';
        Utf8Formatter.TryFormat(pid, path.AsSpan(length), out var written);
        length += written;
        if (tid is { } t)
        {
            length += Encoding.ASCII.GetBytes("/task/", path.AsSpan(length));
            Utf8Formatter.TryFormat(t, path.AsSpan(length), out written);
            length += written;
        }
        if (file is not null)
        {
            path[length++] = (byte)'/';
            length += Encoding.ASCII.GetBytes(file, path.AsSpan(length));
        }
        path[length] = 0;
        return path.AsSpan(0, length + 1);
    }
}
