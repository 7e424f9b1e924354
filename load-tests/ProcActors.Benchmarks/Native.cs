using System.Runtime.InteropServices;

namespace ProcActors.Benchmarks;

/// <summary>The libc calls the scan command needs: CPU time with microsecond resolution, and spawning/reaping children.</summary>
internal static unsafe partial class Native
{
    public const int SIGKILL = 9;
    private const int RUSAGE_SELF = 0;
    private const int RUSAGE_THREAD = 1;
    private const int EINTR = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        public fixed long Rest[14];
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRUsage(int who, RUsage* usage);

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    private static partial int PosixSpawn(int* pid, byte* path, nint fileActions, nint attributes, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, int* status, int options);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int Open(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true)]
    private static partial nint ReadLink(byte* path, byte* buffer, nuint size);

    [LibraryImport("libc", EntryPoint = "opendir", SetLastError = true)]
    private static partial nint OpenDir(byte* path);

    [LibraryImport("libc", EntryPoint = "readdir")]
    private static partial byte* ReadDir(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(nint dir);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static partial int Stat(byte* path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAt(int dirFd, byte* path, int flags);

    private const int O_RDONLY_CLOEXEC = 0x80000;
    private const int O_DIRECTORY = 0x10000;
    private const int O_PATH = 0x200000;

    /// <summary>Opens a directory as a handle for openat (O_PATH): one path walk for the files beneath. Returns the fd, or -1.</summary>
    public static int OpenDirectoryHandle(ReadOnlySpan<byte> nulTerminatedPath)
    {
        fixed (byte* p = nulTerminatedPath)
        {
            return Open(p, O_PATH | O_DIRECTORY | O_RDONLY_CLOEXEC);
        }
    }

    public static void CloseFd(int fd) => Close(fd);

    /// <summary>openat(dirFd, name), read until a read returns 0, close. Returns the bytes read, or -1.</summary>
    public static int ReadFileAt(int dirFd, ReadOnlySpan<byte> nulTerminatedName, Span<byte> buffer)
    {
        fixed (byte* p = nulTerminatedName)
        fixed (byte* b = buffer)
        {
            var fd = OpenAt(dirFd, p, O_RDONLY_CLOEXEC);
            if (fd < 0) return -1;
            var total = 0;
            while (total < buffer.Length)
            {
                var n = Read(fd, b + total, (nuint)(buffer.Length - total));
                if (n <= 0) break;
                total += (int)n;
            }
            Close(fd);
            return total;
        }
    }

    /// <summary>open, read (once, or until a read returns 0), close. Returns the bytes read, or -1.</summary>
    public static int ReadFile(ReadOnlySpan<byte> nulTerminatedPath, Span<byte> buffer, bool untilEof)
    {
        fixed (byte* p = nulTerminatedPath)
        fixed (byte* b = buffer)
        {
            var fd = Open(p, O_RDONLY_CLOEXEC);
            if (fd < 0) return -1;
            var total = 0;
            while (total < buffer.Length)
            {
                var n = Read(fd, b + total, (nuint)(buffer.Length - total));
                if (n <= 0) break;
                total += (int)n;
                if (!untilEof) break;
            }
            Close(fd);
            return total;
        }
    }

    public static int ReadLinkInto(ReadOnlySpan<byte> nulTerminatedPath, Span<byte> buffer)
    {
        fixed (byte* p = nulTerminatedPath)
        fixed (byte* b = buffer)
        {
            return (int)ReadLink(p, b, (nuint)buffer.Length);
        }
    }

    /// <summary>opendir/readdir/closedir: the entries other than . and .., or -1.</summary>
    public static int CountEntries(ReadOnlySpan<byte> nulTerminatedPath)
    {
        fixed (byte* p = nulTerminatedPath)
        {
            var dir = OpenDir(p);
            if (dir == 0) return -1;
            var count = 0;
            for (var entry = ReadDir(dir); entry != null; entry = ReadDir(dir))
            {
                var name = entry + 19; // ino(8) off(8) reclen(2) type(1) name
                if (!(name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))) count++;
            }
            CloseDir(dir);
            return count;
        }
    }

    /// <summary>st_size of stat(2) (offset 48 in the x86-64 and arm64 struct stat), or -1.</summary>
    public static long StatSize(ReadOnlySpan<byte> nulTerminatedPath)
    {
        var buffer = stackalloc byte[256];
        fixed (byte* p = nulTerminatedPath)
        {
            return Stat(p, buffer) == 0 ? *(long*)(buffer + 48) : -1;
        }
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, long* timespec);

    private const int CLOCK_THREAD_CPUTIME_ID = 3;

    /// <summary>
    /// User and system CPU time of the whole process (all threads: JIT, GC and the scanning thread). The total is
    /// exact (the kernel brings the calling thread's runtime up to date); the user/system split is the kernel's
    /// tick-sampled ratio.
    /// </summary>
    public static CpuTime ProcessCpu() => Usage(RUSAGE_SELF);

    /// <summary>
    /// User and system CPU time of the calling thread by getrusage(RUSAGE_THREAD): on this kind of kernel only as
    /// fresh as the last scheduler tick (4 ms at HZ=250), so good for a split over long runs, not for totals of short
    /// ones: use <see cref="ThreadCpuMicros"/> for those.
    /// </summary>
    public static CpuTime ThreadCpuSampled() => Usage(RUSAGE_THREAD);

    /// <summary>CPU time of the calling thread, exact (clock_gettime CLOCK_THREAD_CPUTIME_ID), in microseconds.</summary>
    public static double ThreadCpuMicros()
    {
        var timespec = stackalloc long[2];
        if (ClockGetTime(CLOCK_THREAD_CPUTIME_ID, timespec) != 0) throw new InvalidOperationException("clock_gettime failed");
        return timespec[0] * 1e6 + timespec[1] / 1e3;
    }

    private static CpuTime Usage(int who)
    {
        RUsage usage;
        if (GetRUsage(who, &usage) != 0) throw new InvalidOperationException("getrusage failed");
        return new CpuTime(usage.UserSeconds * 1_000_000 + usage.UserMicros, usage.SystemSeconds * 1_000_000 + usage.SystemMicros);
    }

    /// <summary>Starts <paramref name="path"/> with the arguments (argv[0] included) and an empty environment. Returns the pid.</summary>
    public static int Spawn(string path, string[] argv)
    {
        var strings = new List<nint>(argv.Length + 1);
        try
        {
            var pathPtr = Marshal.StringToCoTaskMemUTF8(path);
            strings.Add(pathPtr);
            var args = stackalloc byte*[argv.Length + 1];
            for (var i = 0; i < argv.Length; i++)
            {
                var arg = Marshal.StringToCoTaskMemUTF8(argv[i]);
                strings.Add(arg);
                args[i] = (byte*)arg;
            }
            args[argv.Length] = null;
            var env = stackalloc byte*[1];
            env[0] = null;
            int pid;
            var rc = PosixSpawn(&pid, (byte*)pathPtr, 0, 0, args, env);
            if (rc != 0) throw new InvalidOperationException($"posix_spawn {path} failed: errno {rc}");
            return pid;
        }
        finally
        {
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }

    /// <summary>SIGKILLs a child of ours that has not been reaped yet (so its pid cannot have been reused).</summary>
    public static void KillChild(int pid) => Kill(pid, SIGKILL);

    /// <summary>Waits for a child of ours to exit and reaps it. False when it is not (or no longer) our child.</summary>
    public static bool Reap(int pid)
    {
        int status;
        while (true)
        {
            if (WaitPid(pid, &status, 0) == pid) return true;
            if (Marshal.GetLastPInvokeError() != EINTR) return false;
        }
    }
}

/// <summary>CPU time in microseconds.</summary>
public readonly record struct CpuTime(long UserMicros, long SystemMicros)
{
    public long TotalMicros => UserMicros + SystemMicros;

    public static CpuTime operator -(CpuTime a, CpuTime b) => new(a.UserMicros - b.UserMicros, a.SystemMicros - b.SystemMicros);
}
