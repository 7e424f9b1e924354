using System.Buffers.Binary;
using System.Text;

namespace ProcActors.Procfs.Taskstats;

/// <summary>
/// Parses the generic-netlink datagrams (host byte order: little-endian on the x86_64 and aarch64 we run on) of the taskstats family into exit records. struct taskstats only ever grows
/// at its end, so fields are read at their fixed offsets; a version older than 12 (no thread group id, Linux &lt; 5.11)
/// is refused rather than guessed at.
/// </summary>
public static class TaskstatsParser
{
    /// <summary>The oldest layout read: version 12 added ac_tgid, which rolling threads up into processes needs.</summary>
    public const int MinimumVersion = 12;

    private const int NlmsgHeaderSize = 16;
    private const int GenlHeaderSize = 4;
    private const ushort NlmsgError = 2;
    private const byte CmdNew = 2;
    private const ushort TypeStats = 3;
    private const ushort TypeAggrPid = 4;
    private const ushort TypeAggrTgid = 5;
    private const ushort NlaTypeMask = 0x3fff;

    // Offsets in struct taskstats (include/uapi/linux/taskstats.h), stable since they were added.
    private const int OffVersion = 0;
    private const int OffRunVirtualTotal = 72;
    private const int OffComm = 80;
    private const int CommLength = 32;
    private const int OffUid = 120;
    private const int OffPid = 128;
    private const int OffPpid = 132;
    private const int OffEtime = 144;
    private const int OffUtime = 152;
    private const int OffStime = 160;
    private const int OffMinflt = 168;
    private const int OffMajflt = 176;
    private const int OffReadBytes = 248;
    private const int OffWriteBytes = 256;
    private const int OffNvcsw = 272;
    private const int OffNivcsw = 280;
    private const int OffBtime64 = 344;
    private const int OffTgid = 368;
    private const int OffTgetime = 376;
    private const int MinimumSize = OffTgetime + 8;

    /// <summary>
    /// Appends the per-task records of a datagram. A record of the whole thread group (AGGR_TGID) is not a record
    /// of its own: it only marks that its process died, and its counters are the delay totals alone, so the task
    /// record it travels with is flagged <see cref="ExitRecord.GroupDead"/> instead.
    /// </summary>
    /// <returns>Ok, or why the datagram was not understood (records parsed before the problem are kept).</returns>
    public static ParseStatus Parse(ReadOnlySpan<byte> datagram, ushort familyId, long receivedBoottimeNanos, List<ExitRecord> into, out string? problem)
    {
        problem = null;
        while (datagram.Length >= NlmsgHeaderSize)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(datagram);
            var type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]);
            if (length < NlmsgHeaderSize || length > datagram.Length)
            {
                problem = $"netlink message length {length} does not fit the {datagram.Length} bytes received";
                return ParseStatus.Malformed;
            }
            var message = datagram[NlmsgHeaderSize..length];
            datagram = datagram[Math.Min(Align(length), datagram.Length)..];
            if (type == NlmsgError) continue;
            if (type != familyId || message.Length < GenlHeaderSize || message[0] != CmdNew) continue;
            var status = ParseAttributes(message[GenlHeaderSize..], receivedBoottimeNanos, into, out problem);
            if (status != ParseStatus.Ok) return status;
        }
        return ParseStatus.Ok;
    }

    private static ParseStatus ParseAttributes(ReadOnlySpan<byte> attributes, long receivedBoottimeNanos, List<ExitRecord> into, out string? problem)
    {
        problem = null;
        var taskIndex = -1;
        while (NextAttribute(ref attributes, out var type, out var payload))
        {
            if (type is not (TypeAggrPid or TypeAggrTgid)) continue;
            if (type == TypeAggrTgid)
            {
                if (taskIndex < 0) continue;
                var record = into[taskIndex];
                record.GroupDead = true;
                into[taskIndex] = record;
                continue;
            }
            var status = ParseStats(FindStats(payload), receivedBoottimeNanos, out var parsed, out problem);
            if (status != ParseStatus.Ok) return status;
            taskIndex = into.Count;
            into.Add(parsed);
        }
        return ParseStatus.Ok;
    }

    private static ParseStatus ParseStats(ReadOnlySpan<byte> stats, long receivedBoottimeNanos, out ExitRecord record, out string? problem)
    {
        record = default;
        problem = null;
        if (stats.Length < 2)
        {
            problem = "a task record without its taskstats structure";
            return ParseStatus.Malformed;
        }
        var version = U16(stats, OffVersion);
        if (version < MinimumVersion)
        {
            problem = $"struct taskstats version {version} is older than {MinimumVersion} (Linux 5.11): no thread group id to roll threads up";
            return ParseStatus.Unsupported;
        }
        if (stats.Length < MinimumSize)
        {
            problem = $"struct taskstats version {version} is {stats.Length} bytes, fewer than the {MinimumSize} its version promises";
            return ParseStatus.Malformed;
        }
        var utime = U64(stats, OffUtime);
        var stime = U64(stats, OffStime);
        var runtime = U64(stats, OffRunVirtualTotal);
        SplitRuntime(runtime, utime, stime, out record.CpuUserNanos, out record.CpuSystemNanos);
        record.Version = version;
        record.Pid = (int)U32(stats, OffPid);
        record.Tgid = (int)U32(stats, OffTgid);
        record.ParentPid = (int)U32(stats, OffPpid);
        record.Uid = U32(stats, OffUid);
        var comm = stats.Slice(OffComm, CommLength);
        var end = comm.IndexOf((byte)0);
        record.Comm = Encoding.UTF8.GetString(end < 0 ? comm : comm[..end]);
        record.BeginTimeSeconds = (long)U64(stats, OffBtime64);
        record.ElapsedMicros = U64(stats, OffEtime);
        record.ProcessElapsedMicros = U64(stats, OffTgetime);
        record.ReceivedBoottimeNanos = receivedBoottimeNanos;
        record.ReadBytes = U64(stats, OffReadBytes);
        record.WriteBytes = U64(stats, OffWriteBytes);
        record.MinorPageFaults = U64(stats, OffMinflt);
        record.MajorPageFaults = U64(stats, OffMajflt);
        record.VoluntaryCtxSwitches = U64(stats, OffNvcsw);
        record.NonvoluntaryCtxSwitches = U64(stats, OffNivcsw);
        // A process that never had a second thread gets no group record: its one task is the whole of it. (A
        // thread group leader that exits before its threads looks the same; its threads' records follow later.)
        record.GroupDead = record.Pid == record.Tgid;
        return ParseStatus.Ok;
    }

    /// <summary>
    /// ac_utime/ac_stime are tick samples (a 5 ms process often shows 0 or 8 ms); the scheduler's runtime
    /// (cpu_run_virtual_total) is exact up to its last update, which for the exiting task can be up to a tick ago, so
    /// the larger of the two is the better total. /proc/[pid]/stat splits the runtime in the samples' proportion
    /// (kernel cputime_adjust): so do we.
    /// </summary>
    internal static void SplitRuntime(ulong runtimeNanos, ulong utimeMicros, ulong stimeMicros, out ulong userNanos, out ulong systemNanos)
    {
        var total = Math.Max(runtimeNanos, (utimeMicros + stimeMicros) * 1000);
        if (stimeMicros == 0)
        {
            userNanos = total;
            systemNanos = 0;
            return;
        }
        if (utimeMicros == 0)
        {
            userNanos = 0;
            systemNanos = total;
            return;
        }
        systemNanos = (ulong)((UInt128)total * stimeMicros / ((UInt128)utimeMicros + stimeMicros));
        userNanos = total - systemNanos;
    }

    private static ReadOnlySpan<byte> FindStats(ReadOnlySpan<byte> nested)
    {
        while (NextAttribute(ref nested, out var type, out var payload))
        {
            if (type == TypeStats) return payload;
        }
        return [];
    }

    private static bool NextAttribute(scoped ref ReadOnlySpan<byte> attributes, out ushort type, out ReadOnlySpan<byte> payload)
    {
        type = 0;
        payload = default;
        if (attributes.Length < 4) return false;
        var length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
        if (length < 4 || length > attributes.Length) return false;
        type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]) & NlaTypeMask);
        payload = attributes[4..length];
        attributes = attributes[Math.Min(Align(length), attributes.Length)..];
        return true;
    }

    private static int Align(int length) => (length + 3) & ~3;

    private static ushort U16(ReadOnlySpan<byte> span, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(span[offset..]);

    private static uint U32(ReadOnlySpan<byte> span, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(span[offset..]);

    private static ulong U64(ReadOnlySpan<byte> span, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(span[offset..]);
}

public enum ParseStatus
{
    Ok,
    /// <summary>Not a well-formed netlink message: skipped, counted.</summary>
    Malformed,
    /// <summary>A struct taskstats layout this reader does not know: exit accounting refuses to run on it.</summary>
    Unsupported,
}
