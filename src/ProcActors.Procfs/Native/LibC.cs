using System.Runtime.InteropServices;

namespace ProcActors.Procfs.Native;

/// <summary>
/// The few libc calls the reader needs. Paths are passed as NUL-terminated UTF-8 spans built in reused buffers,
/// so reading a /proc file allocates nothing.
/// </summary>
internal static unsafe partial class LibC
{
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EACCES = 13;
    public const int EPERM = 1;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;

    private const int O_RDONLY = 0;
    private const int O_CLOEXEC = 0x80000;
    private const int SC_CLK_TCK = 2;

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

    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static partial byte* ReadDir(nint dir);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(nint dir);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static partial int Stat(byte* path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true)]
    private static partial int StatFs(byte* path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    internal static partial int MAdvise(nint address, nuint length, int advice);

    /// <summary>madvise: reclaim these pages now (Linux 5.4+).</summary>
    public const int MADV_PAGEOUT = 21;

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    [LibraryImport("libc", EntryPoint = "getpwuid_r")]
    private static partial int GetPwUidR(uint uid, byte* pwd, byte* buffer, nuint bufferLength, byte** result);

    private const long ProcSuperMagic = 0x9fa0;

    /// <summary>st_size of a file, or -errno. st_size sits at offset 48 of struct stat on both x86_64 and aarch64.</summary>
    public static long SizeOf(ReadOnlySpan<byte> nulTerminatedPath)
    {
        var buffer = stackalloc byte[256];
        fixed (byte* p = nulTerminatedPath)
        {
            if (Stat(p, buffer) != 0) return -Marshal.GetLastPInvokeError();
            return *(long*)(buffer + 48);
        }
    }

    /// <summary>Whether the path lies on a procfs mount (f_type, the first field of struct statfs).</summary>
    public static bool IsProcfs(ReadOnlySpan<byte> nulTerminatedPath)
    {
        var buffer = stackalloc byte[256];
        fixed (byte* p = nulTerminatedPath)
        {
            return StatFs(p, buffer) == 0 && *(long*)buffer == ProcSuperMagic;
        }
    }

    public static int ClockTicksPerSecond()
    {
        var ticks = SysConf(SC_CLK_TCK);
        return ticks > 0 ? (int)ticks : 100;
    }

    /// <summary>Opens a file read-only. Returns the descriptor, or -errno.</summary>
    public static int OpenRead(ReadOnlySpan<byte> nulTerminatedPath)
    {
        fixed (byte* p = nulTerminatedPath)
        {
            while (true)
            {
                var fd = Open(p, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) return fd;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR) return -errno;
            }
        }
    }

    /// <summary>Reads into the span. Returns bytes read (0 at end), or -errno.</summary>
    public static int ReadInto(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Read(fd, p, (nuint)buffer.Length);
                if (n >= 0) return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR) return -errno;
            }
        }
    }

    public static void CloseFd(int fd) => Close(fd);

    /// <summary>Reads a symbolic link's target into the span. Returns its length, or -errno.</summary>
    public static int ReadLinkInto(ReadOnlySpan<byte> nulTerminatedPath, Span<byte> buffer)
    {
        fixed (byte* p = nulTerminatedPath)
        fixed (byte* b = buffer)
        {
            var n = ReadLink(p, b, (nuint)buffer.Length);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Opens a directory stream. Returns a handle, or zero with <paramref name="errno"/> set.</summary>
    public static nint OpenDirectory(ReadOnlySpan<byte> nulTerminatedPath, out int errno)
    {
        fixed (byte* p = nulTerminatedPath)
        {
            var dir = OpenDir(p);
            errno = dir == 0 ? Marshal.GetLastPInvokeError() : 0;
            return dir;
        }
    }

    /// <summary>
    /// The name of the next entry, or an empty span at the end. The span points into libc's buffer and is valid
    /// until the next call. glibc and musl share the 64-bit dirent layout: ino(8) off(8) reclen(2) type(1) name.
    /// </summary>
    public static bool NextEntry(nint dir, out ReadOnlySpan<byte> name, out byte type)
    {
        var entry = ReadDir(dir);
        if (entry == null)
        {
            name = default;
            type = 0;
            return false;
        }
        type = entry[18];
        name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + 19);
        return true;
    }

    public static void CloseDirectory(nint dir) => CloseDir(dir);

    /// <summary>The user name of a uid from the system's user database (files, LDAP, ... as NSS says), or null.</summary>
    public static string? UserName(uint uid)
    {
        const int passwdSize = 128;
        var pwd = stackalloc byte[passwdSize];
        var buffer = new byte[16 * 1024];
        fixed (byte* b = buffer)
        {
            byte* result = null;
            var rc = GetPwUidR(uid, pwd, b, (nuint)buffer.Length, &result);
            if (rc != 0 || result == null) return null;
            var name = *(byte**)result;
            return name == null ? null : Marshal.PtrToStringUTF8((nint)name);
        }
    }
}
