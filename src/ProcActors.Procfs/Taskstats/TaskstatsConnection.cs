using System.Buffers.Binary;
using System.Text;

namespace ProcActors.Procfs.Taskstats;

/// <summary>
/// A generic-netlink socket registered as a taskstats exit listener on every possible CPU: the kernel then sends one
/// record per exiting task. Registering needs CAP_NET_ADMIN in the initial user and pid namespaces.
/// </summary>
public sealed class TaskstatsConnection : IDisposable
{
    private const ushort GenlIdCtrl = 0x10;
    private const byte CtrlCmdGetFamily = 3;
    private const ushort CtrlAttrFamilyId = 1;
    private const ushort CtrlAttrFamilyName = 2;
    private const byte TaskstatsCmdGet = 1;
    private const ushort TaskstatsCmdAttrRegisterCpumask = 3;
    private const ushort NlmFRequest = 1;
    private const ushort NlmFAck = 4;
    private const ushort NlmsgError = 2;

    private readonly int _fd;

    private TaskstatsConnection(int fd, ushort familyId, int receiveBufferBytes, string cpus)
    {
        _fd = fd;
        FamilyId = familyId;
        ReceiveBufferBytes = receiveBufferBytes;
        Cpus = cpus;
    }

    public ushort FamilyId { get; }

    /// <summary>What the kernel granted for the socket's receive buffer.</summary>
    public int ReceiveBufferBytes { get; }

    /// <summary>The CPU list registered (/sys/devices/system/cpu/possible).</summary>
    public string Cpus { get; }

    /// <summary>Opens and registers, or says why not (no capability, no taskstats in the kernel, another pid namespace).</summary>
    public static TaskstatsConnection? TryOpen(int receiveBufferBytes, out string? error)
    {
        var fd = NetlinkNative.OpenGeneric();
        if (fd < 0)
        {
            error = $"cannot open a generic netlink socket: errno {-fd}";
            return null;
        }
        var granted = NetlinkNative.SetReceiveBuffer(fd, receiveBufferBytes);
        NetlinkNative.SetReceiveTimeout(fd, TimeSpan.FromSeconds(2));
        var buffer = new byte[64 * 1024];
        var familyId = ResolveFamily(fd, buffer, out error);
        var cpus = PossibleCpus();
        if (familyId != 0)
        {
            if (!Request(fd, buffer, familyId, TaskstatsCmdGet, TaskstatsCmdAttrRegisterCpumask, Encoding.ASCII.GetBytes(cpus + "\0"), out var errno))
                error = "the kernel did not answer the taskstats registration";
            else if (errno != 0)
                error = errno switch
                {
                    1 => "registering a taskstats listener needs CAP_NET_ADMIN (EPERM)",
                    22 => "taskstats listeners can only register from the initial pid and user namespaces (EINVAL)",
                    _ => $"registering a taskstats listener failed: errno {errno}",
                };
        }
        if (error is not null)
        {
            NetlinkNative.CloseFd(fd);
            return null;
        }
        // Blocking reads from here on wake once a second so that the reading thread notices it is asked to stop.
        NetlinkNative.SetReceiveTimeout(fd, TimeSpan.FromSeconds(1));
        return new TaskstatsConnection(fd, familyId, granted, cpus);
    }

    /// <summary>Bytes of the next datagram, or -errno (EAGAIN when nothing came within a second, ENOBUFS after an overflow).</summary>
    /// <summary>One datagram: waits up to the receive timeout, or not at all with <paramref name="dontWait"/>.</summary>
    public int Receive(Span<byte> buffer, bool dontWait = false) => NetlinkNative.ReceiveInto(_fd, buffer, dontWait);

    public void Dispose() => NetlinkNative.CloseFd(_fd);

    private static ushort ResolveFamily(int fd, byte[] buffer, out string? error)
    {
        error = null;
        if (!Request(fd, buffer, GenlIdCtrl, CtrlCmdGetFamily, CtrlAttrFamilyName, "TASKSTATS\0"u8, out _, reply =>
            {
                var attributes = reply[4..];
                while (attributes.Length >= 4)
                {
                    var length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
                    var type = BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]);
                    if (length < 4 || length > attributes.Length) break;
                    if (type == CtrlAttrFamilyId && length >= 6) return BinaryPrimitives.ReadUInt16LittleEndian(attributes[4..]);
                    attributes = attributes[Math.Min((length + 3) & ~3, attributes.Length)..];
                }
                return 0;
            }, out var familyId) || familyId == 0)
        {
            error = "the kernel has no TASKSTATS generic netlink family (CONFIG_TASKSTATS off?)";
        }
        return familyId;
    }

    private delegate ushort ReplyReader(ReadOnlySpan<byte> genericMessage);

    private static bool Request(int fd, byte[] buffer, ushort type, byte command, ushort attribute, ReadOnlySpan<byte> value, out int errno) =>
        Request(fd, buffer, type, command, attribute, value, out errno, null, out _);

    /// <summary>
    /// Sends one request asking for an acknowledgement, and waits for the reply and the ack. Exit records that come
    /// in meanwhile are dropped: listening only starts once registered.
    /// </summary>
    private static bool Request(int fd, byte[] buffer, ushort type, byte command, ushort attribute, ReadOnlySpan<byte> value, out int errno, ReplyReader? read, out ushort result)
    {
        errno = 0;
        result = 0;
        var attributeLength = 4 + value.Length;
        var total = 16 + 4 + ((attributeLength + 3) & ~3);
        var message = new byte[total];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)total);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), NlmFRequest | NlmFAck);
        const uint sequence = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), sequence);
        message[16] = command;
        message[17] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(20), (ushort)attributeLength);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(22), attribute);
        value.CopyTo(message.AsSpan(24));
        if (NetlinkNative.SendTo(fd, message) < 0) return false;

        while (true)
        {
            var n = NetlinkNative.ReceiveInto(fd, buffer);
            if (n == -NetlinkNative.ENOBUFS) continue;
            if (n <= 0) return false;
            ReadOnlySpan<byte> datagram = buffer.AsSpan(0, n);
            while (datagram.Length >= 16)
            {
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(datagram);
                if (length < 16 || length > datagram.Length) break;
                var messageType = BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]);
                var messageSequence = BinaryPrimitives.ReadUInt32LittleEndian(datagram[8..]);
                if (messageSequence == sequence)
                {
                    if (messageType == NlmsgError)
                    {
                        errno = -BinaryPrimitives.ReadInt32LittleEndian(datagram[16..]);
                        return true;
                    }
                    if (read is not null) result = read(datagram[16..length]);
                }
                datagram = datagram[Math.Min((length + 3) & ~3, datagram.Length)..];
            }
        }
    }

    /// <summary>One registration for the whole mask of CPUs that can ever be online, so a CPU coming online later is covered.</summary>
    private static string PossibleCpus()
    {
        try
        {
            var text = File.ReadAllText("/sys/devices/system/cpu/possible").Trim();
            if (text.Length > 0) return text;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return $"0-{Environment.ProcessorCount - 1}";
    }
}
