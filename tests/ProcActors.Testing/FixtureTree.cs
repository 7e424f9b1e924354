using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ProcActors.Testing;

/// <summary>One thread of a fixture process, written to task/&lt;tid&gt;/.</summary>
public sealed record FixtureThread(
    int Tid,
    string Comm,
    char State = 'S',
    ulong Utime = 0,
    ulong Stime = 0,
    ulong MinorFaults = 0,
    ulong MajorFaults = 0,
    ulong ReadBytes = 0,
    ulong WriteBytes = 0,
    ulong Voluntary = 0,
    ulong Nonvoluntary = 0,
    string Wchan = "0",
    ulong? RunNs = null);

/// <summary>
/// A procfs-like tree in a temporary folder: &lt;root&gt;/stat, &lt;root&gt;/uptime and one folder per process with the
/// files <see cref="ProcfsReader"/> reads. Deleted on dispose.
/// </summary>
public sealed class FixtureTree : IDisposable
{
    public const long DefaultBootTime = 1_795_683_877;
    public const string DefaultUptime = "2308.61 4585.72\n";

    /// <param name="inMemory">Under /dev/shm (tmpfs) when there is one: trees of tens of thousands of entries are written and read several times faster than on a disk.</param>
    public FixtureTree(long bootTime = DefaultBootTime, string? uptime = DefaultUptime, string prefix = "procactors-fixture-", bool inMemory = false)
    {
        Root = inMemory && Directory.Exists("/dev/shm")
            ? Directory.CreateDirectory(Path.Combine("/dev/shm", prefix + Guid.NewGuid().ToString("N"))).FullName
            : Directory.CreateTempSubdirectory(prefix).FullName;
        File.WriteAllText(Path.Combine(Root, "stat"), ProcText.SystemStat(bootTime));
        if (uptime is not null) File.WriteAllText(Path.Combine(Root, "uptime"), uptime);
    }

    public string Root { get; }

    public string PathOf(int pid, string file = "") => Path.Combine(Root, pid.ToString(CultureInfo.InvariantCulture), file);

    /// <summary>
    /// Writes a process. Without <paramref name="threads"/> the process has one thread, itself, as in procfs. A kernel thread
    /// has no Vm* status lines, an empty cmdline and smaps_rollup, and no exe link.
    /// </summary>
    public void AddProcess(
        int pid,
        string comm = "worker",
        ulong starttime = 1000,
        ulong utime = 0,
        ulong stime = 0,
        ulong minflt = 0,
        ulong majflt = 0,
        char state = 'S',
        int ppid = 1,
        ulong vsize = 8_392_704,
        long rss = 0,
        uint uid = 0,
        ulong? swapKb = 0,
        ulong voluntary = 0,
        ulong nonvoluntary = 0,
        ulong readBytes = 0,
        ulong writeBytes = 0,
        string fdLimit = "1024",
        ulong pssKb = 0,
        ulong? swapPssKb = 0,
        string[]? cmdline = null,
        string cgroup = "0::/system.slice/worker.service\n",
        string wchan = "0",
        string? exe = "/usr/bin/worker",
        int fds = 0,
        FixtureThread[]? threads = null,
        bool kernelThread = false,
        int? numThreads = null,
        ulong? runNs = null)
    {
        threads ??= [new FixtureThread(pid, comm, state, utime, stime, minflt, majflt, readBytes, writeBytes, voluntary, nonvoluntary, wchan, runNs)];
        var threadCount = numThreads ?? threads.Length;
        // A running agent may scan the tree at any moment: a new process appears whole (built aside, then renamed
        // into place) and an existing one has each file replaced atomically, so no scan reads a half-written file.
        var existing = Directory.Exists(PathOf(pid));
        var staging = Path.Combine(Root, ".staging", pid.ToString(CultureInfo.InvariantCulture));
        var dir = Directory.CreateDirectory(existing ? PathOf(pid) : staging).FullName;
        // A kernel thread has no address space: the kernel reports vsize 0.
        if (kernelThread) vsize = 0;
        Write(dir, "stat", ProcText.Stat(pid, comm, state, ppid, minflt, majflt, utime, stime, threadCount, starttime, vsize, rss));
        Write(dir, "status", ProcText.Status(comm, state, pid, ppid, uid, uid, swapKb, voluntary, nonvoluntary, threadCount, kernelThread));
        Write(dir, "io", ProcText.Io(readBytes, writeBytes));
        Write(dir, "limits", ProcText.Limits(fdLimit));
        Write(dir, "smaps_rollup", kernelThread ? "" : ProcText.SmapsRollup(pssKb, swapPssKb));
        string[] args = kernelThread ? [] : cmdline ?? [$"/usr/bin/{comm}"];
        Write(dir, "cmdline", Encoding.UTF8.GetBytes(string.Concat(args.Select(a => a + "\0"))));
        Write(dir, "cgroup", cgroup);
        Write(dir, "wchan", wchan);
        // schedstat (the main thread's time on a CPU in ns) only when asked: without it a reader cannot tell that a
        // process has not run, and reads everything.
        if (runNs is { } ns) Write(dir, "schedstat", FormattableString.Invariant($"{ns} 0 1\n"));
        else File.Delete(Path.Combine(dir, "schedstat"));
        if (exe is not null && !kernelThread && !existing) File.CreateSymbolicLink(Path.Combine(dir, "exe"), exe);

        var fd = Directory.CreateDirectory(Path.Combine(dir, "fd")).FullName;
        for (var i = 0; i < fds; i++)
        {
            var link = Path.Combine(fd, i.ToString(CultureInfo.InvariantCulture));
            if (!File.Exists(link)) File.CreateSymbolicLink(link, "/dev/null");
        }

        foreach (var thread in threads)
        {
            var task = Directory.CreateDirectory(Path.Combine(dir, "task", thread.Tid.ToString(CultureInfo.InvariantCulture))).FullName;
            Write(task, "stat", ProcText.Stat(thread.Tid, thread.Comm, thread.State, ppid, thread.MinorFaults, thread.MajorFaults,
                thread.Utime, thread.Stime, threadCount, starttime, vsize, rss));
            Write(task, "status", ProcText.Status(thread.Comm, thread.State, thread.Tid, ppid, uid, uid, swapKb, thread.Voluntary,
                thread.Nonvoluntary, threadCount, kernelThread));
            Write(task, "io", ProcText.Io(thread.ReadBytes, thread.WriteBytes));
            Write(task, "wchan", thread.Wchan);
            if (thread.RunNs is { } threadNs) Write(task, "schedstat", FormattableString.Invariant($"{threadNs} 0 1\n"));
            else File.Delete(Path.Combine(task, "schedstat"));
        }
        if (!existing) Directory.Move(dir, PathOf(pid));
    }

    /// <summary>
    /// Adds <paramref name="count"/> processes, pids from <paramref name="firstPid"/> on, that share the files of
    /// process <paramref name="templatePid"/>: the template is moved out of the listing (under .templates/, not a
    /// number) and each clone is a symbolic link to it. A tree of 50,000 processes is then 50,000 links rather than
    /// half a million files, and a file written with <see cref="WriteTemplateFile"/> changes in every clone at once.
    /// </summary>
    public string AddClones(int templatePid, int firstPid, int count)
    {
        var template = MoveToTemplates(PathOf(templatePid), $"process-{templatePid}");
        for (var pid = firstPid; pid < firstPid + count; pid++) File.CreateSymbolicLink(PathOf(pid), template);
        return template;
    }

    /// <summary>
    /// The same for threads: <paramref name="count"/> entries of task/, tids from <paramref name="firstTid"/> on,
    /// linked to thread <paramref name="templateTid"/> of the process (moved out of its task/).
    /// </summary>
    public string AddThreadClones(int pid, int templateTid, int firstTid, int count)
    {
        var task = PathOf(pid, "task");
        var template = MoveToTemplates(Path.Combine(task, templateTid.ToString(CultureInfo.InvariantCulture)), $"thread-{pid}-{templateTid}");
        for (var tid = firstTid; tid < firstTid + count; tid++) File.CreateSymbolicLink(Path.Combine(task, tid.ToString(CultureInfo.InvariantCulture)), template);
        return template;
    }

    /// <summary>Replaces a file of a template (see <see cref="AddClones"/>): every clone sees the new content.</summary>
    public static void WriteTemplateFile(string template, string file, string content) => Write(template, file, Encoding.UTF8.GetBytes(content));

    private string MoveToTemplates(string source, string name)
    {
        var template = Path.Combine(Directory.CreateDirectory(Path.Combine(Root, ".templates")).FullName, name);
        Directory.Move(source, template);
        return template;
    }

    /// <summary>Replaces (or creates) one file of a process; <paramref name="file"/> may be a relative path such as "task/12/stat".</summary>
    public void WriteFile(int pid, string file, string content) => Write(PathOf(pid), file, Encoding.UTF8.GetBytes(content));

    public void WriteFile(int pid, string file, byte[] content) => Write(PathOf(pid), file, content);

    /// <summary>Moves the machine's clock (process start times are compared with it).</summary>
    public void SetUptime(double seconds) =>
        Write(Root, "uptime", string.Create(CultureInfo.InvariantCulture, $"{seconds:0.00} {seconds * 2:0.00}\n"));

    public void DeleteFile(int pid, string file) => File.Delete(PathOf(pid, file));

    public void DeleteProcess(int pid) => Directory.Delete(PathOf(pid), recursive: true);

    /// <summary>Adds a folder that is not a process (as /proc has "sys", "net", ...).</summary>
    public void AddFolder(string name) => Directory.CreateDirectory(Path.Combine(Root, name));

    /// <summary>
    /// Replaces a file of a process by a FIFO without a writer: opening it for reading blocks until a writer comes,
    /// as a read of a process in D state blocks in the kernel. <see cref="ReleaseFifo"/> lets the read return.
    /// </summary>
    public string ReplaceWithFifo(int pid, string file) => ReplaceWithFifo(Path.Combine(pid.ToString(CultureInfo.InvariantCulture), file));

    /// <summary>The same for a file of the tree itself ("uptime"), given relative to the root.</summary>
    public string ReplaceWithFifo(string relativePath)
    {
        var path = Path.Combine(Root, relativePath);
        File.Delete(path);
        if (MkFifo(path, 0b110_100_100) != 0) throw new IOException($"mkfifo {path}: errno {Marshal.GetLastPInvokeError()}");
        _fifos.Add(path);
        return path;
    }

    /// <summary>
    /// Opens the FIFO for writing without waiting, writes the content and closes it: a reader blocked in open() or
    /// read() gets the content and then the end of the file. False when no reader has it open (nothing was blocked).
    /// <paramref name="whileHeld"/> runs with the FIFO open, before the reader is let go: replacing the file there
    /// means no later read meets the FIFO again.
    /// </summary>
    public bool ReleaseFifo(string path, string content = "", Action? whileHeld = null)
    {
        var fd = OpenFile(path, OpenWriteOnly | OpenNonBlocking);
        if (fd < 0) return false;
        whileHeld?.Invoke();
        var bytes = Encoding.UTF8.GetBytes(content);
        if (bytes.Length > 0 && WriteFile(fd, bytes, bytes.Length) != bytes.Length)
        {
            CloseFile(fd);
            throw new IOException($"write to {path}: errno {Marshal.GetLastPInvokeError()}");
        }
        CloseFile(fd);
        return true;
    }

    public void Dispose()
    {
        // A test that failed half-way may leave a reader blocked on a FIFO: let it go before the tree goes.
        foreach (var fifo in _fifos) ReleaseFifo(fifo);
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }

    private readonly List<string> _fifos = [];
    private const int OpenWriteOnly = 1;
    private const int OpenNonBlocking = 0x800;

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, uint mode);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenFile(string path, int flags);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    private static extern nint WriteFile(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int CloseFile(int fd);

    private static void Write(string dir, string file, string content) => Write(dir, file, Encoding.UTF8.GetBytes(content));

    /// <summary>Write aside, then rename over: a reader sees the old file or the new one, never half of it.</summary>
    private static void Write(string dir, string file, byte[] content)
    {
        var path = Path.Combine(dir, file);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}
