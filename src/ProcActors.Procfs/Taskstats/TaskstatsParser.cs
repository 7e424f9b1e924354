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
    private const int OffCpuDelayTotal = 24;
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
        var cpu = EstimateCpuNanos(U64(stats, OffRunVirtualTotal), utime, stime, U64(stats, OffEtime), U64(stats, OffCpuDelayTotal), U64(stats, OffNvcsw));
        SplitRuntime(cpu, utime, stime, out record.CpuUserNanos, out record.CpuSystemNanos);
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
    /// The longest a task's runtime can lag its CPU at exit: the scheduler updates it at every tick and switch, so
    /// the lag is under one tick (10 ms at the lowest HZ, 100), with room for a tick delayed by a busy host.
    /// </summary>
    internal const ulong MaxRuntimeLagNanos = 20_000_000;

    /// <summary>
    /// The task's CPU up to its record. The scheduler's runtime (cpu_run_virtual_total, sum_exec_runtime) is exact
    /// only up to its last update, which for a task that computes until it exits is its last tick: up to a tick of
    /// the end is missing (measured: a third of a 5 ms process at HZ=250). ac_utime/ac_stime are whole ticks
    /// charged to whoever runs when the tick fires: right on average, far off for one short task, and short under
    /// a busy host. A task that never blocked (no voluntary switch) was, all its life, either on a CPU or waiting
    /// for one, so its lifetime (ac_etime) less that wait (cpu_delay_total) is its CPU to the microsecond, the last
    /// stretch included. A task that blocked slept some of its lifetime: the runtime stands, or the tick samples
    /// when they show more. Without the scheduler's figures (runtime 0) the tick samples are all there is.
    /// </summary>
    internal static ulong EstimateCpuNanos(ulong runtimeNanos, ulong utimeMicros, ulong stimeMicros, ulong elapsedMicros, ulong runDelayNanos, ulong voluntarySwitches)
    {
        var sampled = (utimeMicros + stimeMicros) * 1000;
        if (runtimeNanos == 0) return sampled;
        if (voluntarySwitches == 0 && elapsedMicros * 1000 > runDelayNanos)
        {
            var onCpu = elapsedMicros * 1000 - runDelayNanos;
            if (onCpu >= runtimeNanos && onCpu - runtimeNanos <= MaxRuntimeLagNanos) return onCpu;
        }
        return Math.Max(runtimeNanos, sampled);
    }

    /// <summary>
    /// /proc/[pid]/stat splits a task's runtime into user and system time in the proportion of its tick samples
    /// (kernel cputime_adjust): so do we, so that a record and a scanned reading compare.
    /// </summary>
    internal static void SplitRuntime(ulong totalNanos, ulong utimeMicros, ulong stimeMicros, out ulong userNanos, out ulong systemNanos)
    {
        if (stimeMicros == 0)
        {
            userNanos = totalNanos;
            systemNanos = 0;
            return;
        }
        if (utimeMicros == 0)
        {
            userNanos = 0;
            systemNanos = totalNanos;
            return;
        }
        systemNanos = (ulong)((UInt128)totalNanos * stimeMicros / ((UInt128)utimeMicros + stimeMicros));
        userNanos = totalNanos - systemNanos;
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
