using System.Runtime.InteropServices;

namespace ProcActors.Procfs.Taskstats;

/// <summary>The libc socket calls a generic-netlink client needs.</summary>
internal static unsafe partial class NetlinkNative
{
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOBUFS = 105;

    private const int AF_NETLINK = 16;
    private const int SOCK_RAW = 3;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int NETLINK_GENERIC = 16;
    private const int SOL_SOCKET = 1;
    private const int SO_RCVBUF = 8;
    private const int SO_RCVTIMEO = 20;
    private const int SO_RCVBUFFORCE = 33;
    private const int CLOCK_BOOTTIME = 7;
    private const int MSG_DONTWAIT = 0x40;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, long* timespec);

    /// <summary>A bound generic-netlink socket, or -errno.</summary>
    public static int OpenGeneric()
    {
        var fd = Socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
        if (fd < 0) return -Marshal.GetLastPInvokeError();
        // struct sockaddr_nl: family, pad, port id 0 (the kernel assigns one), no multicast groups.
        var address = stackalloc byte[12];
        new Span<byte>(address, 12).Clear();
        *(ushort*)address = AF_NETLINK;
        if (Bind(fd, address, 12) == 0) return fd;
        var errno = Marshal.GetLastPInvokeError();
        Close(fd);
        return -errno;
    }

    /// <summary>
    /// Sizes the receive buffer: beyond rmem_max with CAP_NET_ADMIN (SO_RCVBUFFORCE), else as far as rmem_max allows.
    /// Returns the size the kernel granted.
    /// </summary>
    public static int SetReceiveBuffer(int fd, int bytes)
    {
        if (SetSockOpt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(int)) != 0) SetSockOpt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(int));
        int granted = 0, length = sizeof(int);
        return GetSockOpt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &length) == 0 ? granted : 0;
    }

    /// <summary>Makes a blocked receive return (with EAGAIN) after this long, so that the reading thread can stop.</summary>
    public static void SetReceiveTimeout(int fd, TimeSpan timeout)
    {
        var value = stackalloc long[2];
        value[0] = (long)timeout.TotalSeconds;
        value[1] = timeout.Milliseconds * 1000L;
        SetSockOpt(fd, SOL_SOCKET, SO_RCVTIMEO, value, 16);
    }

    /// <summary>Bytes sent, or -errno.</summary>
    public static int SendTo(int fd, ReadOnlySpan<byte> message)
    {
        fixed (byte* p = message)
        {
            while (true)
            {
                var n = Send(fd, p, (nuint)message.Length, 0);
                if (n >= 0) return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR) return -errno;
            }
        }
    }

    /// <summary>
    /// Bytes received, or -errno (EAGAIN on timeout, or at once when <paramref name="dontWait"/> and nothing is queued;
    /// ENOBUFS when the kernel dropped messages).
    /// </summary>
    public static int ReceiveInto(int fd, Span<byte> buffer, bool dontWait = false)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = Recv(fd, p, (nuint)buffer.Length, dontWait ? MSG_DONTWAIT : 0);
                if (n >= 0) return (int)n;
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR) return -errno;
            }
        }
    }

    public static void CloseFd(int fd) => Close(fd);

    /// <summary>CLOCK_BOOTTIME in nanoseconds: the clock process start times in /proc count from.</summary>
    public static long BoottimeNanos()
    {
        var timespec = stackalloc long[2];
        ClockGetTime(CLOCK_BOOTTIME, timespec);
        return timespec[0] * 1_000_000_000 + timespec[1];
    }
}
