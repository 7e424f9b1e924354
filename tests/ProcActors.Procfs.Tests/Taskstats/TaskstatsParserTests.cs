using System.Buffers.Binary;
using System.Text;
using ProcActors.Procfs.Taskstats;

namespace ProcActors.Procfs.Tests.Taskstats;

public sealed class TaskstatsParserTests
{
    private const ushort Family = 31;

    /// <summary>A struct taskstats of the given version and size with the fields the parser reads.</summary>
    internal static byte[] Stats(ushort version = 16, int size = 560, int pid = 100, int tgid = 100, int ppid = 1, string comm = "burn",
        ulong utimeMicros = 4000, ulong stimeMicros = 0, ulong runtimeNanos = 5_123_456, ulong readBytes = 4096, ulong writeBytes = 8192)
    {
        var s = new byte[size];
        BinaryPrimitives.WriteUInt16LittleEndian(s, version);
        if (size < 416) return s;
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(72), runtimeNanos);
        Encoding.ASCII.GetBytes(comm).CopyTo(s, 80);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(120), 1000);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(128), (uint)pid);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(132), (uint)ppid);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(144), 7_000);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(152), utimeMicros);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(160), stimeMicros);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(168), 11);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(176), 2);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(248), readBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(256), writeBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(272), 3);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(280), 4);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(344), 1_796_056_700);
        BinaryPrimitives.WriteUInt32LittleEndian(s.AsSpan(368), (uint)tgid);
        BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(376), 9_000);
        return s;
    }

    private static byte[] Attribute(ushort type, params byte[][] parts)
    {
        var payload = parts.SelectMany(p => p.Concat(new byte[((p.Length + 3) & ~3) - p.Length])).ToArray();
        var a = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)a.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(2), type);
        payload.CopyTo(a, 4);
        return a;
    }

    private static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return b;
    }

    /// <summary>A TASKSTATS_CMD_NEW message as the kernel sends on exit: AGGR_PID, and AGGR_TGID when the thread group died.</summary>
    internal static byte[] Message(byte[] stats, int pid, byte[]? groupStats = null, int tgid = 0)
    {
        var body = new List<byte> { 2, 1, 0, 0 };
        var aggrPid = Attribute(4, Attribute(1, U32((uint)pid)), Attribute(3, stats));
        body.AddRange(aggrPid);
        if (groupStats is not null) body.AddRange(Attribute(5, Attribute(2, U32((uint)tgid)), Attribute(3, groupStats)));
        var message = new byte[16 + body.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), Family);
        body.CopyTo(message, 16);
        return message;
    }

    [Fact]
    public void Reads_a_single_threaded_exit_as_a_whole_process()
    {
        var records = new List<ExitRecord>();
        var status = TaskstatsParser.Parse(Message(Stats(), 100), Family, 42, records, out var problem);

        Assert.Equal(ParseStatus.Ok, status);
        Assert.Null(problem);
        var r = Assert.Single(records);
        Assert.Equal((100, 100, 1, 1000u, "burn"), (r.Pid, r.Tgid, r.ParentPid, r.Uid, r.Comm));
        Assert.True(r.GroupDead);
        // stime sampled 0: the whole runtime is user time, as /proc/[pid]/stat would show it.
        Assert.Equal((5_123_456ul, 0ul), (r.CpuUserNanos, r.CpuSystemNanos));
        Assert.Equal((4096ul, 8192ul, 11ul, 2ul, 3ul, 4ul), (r.ReadBytes, r.WriteBytes, r.MinorPageFaults, r.MajorPageFaults, r.VoluntaryCtxSwitches, r.NonvoluntaryCtxSwitches));
        Assert.Equal((1_796_056_700L, 7_000ul, 42L, (ushort)16), (r.BeginTimeSeconds, r.ElapsedMicros, r.ReceivedBoottimeNanos, r.Version));
        Assert.Equal(9_000ul, r.ProcessElapsedMicros);
    }

    [Fact]
    public void A_thread_leaving_a_live_process_is_not_its_process_dying()
    {
        var records = new List<ExitRecord>();
        TaskstatsParser.Parse(Message(Stats(pid: 101, tgid: 100), 101), Family, 0, records, out _);
        Assert.False(Assert.Single(records).GroupDead);
    }

    [Fact]
    public void The_group_record_marks_the_last_thread_and_adds_no_record_of_its_own()
    {
        var records = new List<ExitRecord>();
        TaskstatsParser.Parse(Message(Stats(pid: 102, tgid: 100), 102, Stats(pid: 0, tgid: 0, runtimeNanos: 0), 100), Family, 0, records, out _);
        var r = Assert.Single(records);
        Assert.True(r.GroupDead);
        Assert.Equal((102, 100), (r.Pid, r.Tgid));
    }

    [Fact]
    public void Refuses_a_layout_without_the_thread_group_id()
    {
        var records = new List<ExitRecord>();
        var status = TaskstatsParser.Parse(Message(Stats(version: 11, size: 368), 100), Family, 0, records, out var problem);
        Assert.Equal(ParseStatus.Unsupported, status);
        Assert.Contains("version 11", problem);
        Assert.Empty(records);
    }

    [Fact]
    public void A_truncated_structure_is_malformed_not_read_past_its_end()
    {
        var records = new List<ExitRecord>();
        var status = TaskstatsParser.Parse(Message(Stats(size: 300), 100), Family, 0, records, out var problem);
        Assert.Equal(ParseStatus.Malformed, status);
        Assert.NotNull(problem);
        Assert.Empty(records);
    }

    [Fact]
    public void Other_families_and_acks_are_skipped()
    {
        var other = Message(Stats(), 100);
        BinaryPrimitives.WriteUInt16LittleEndian(other.AsSpan(4), 99);
        var records = new List<ExitRecord>();
        Assert.Equal(ParseStatus.Ok, TaskstatsParser.Parse([.. other, .. Message(Stats(pid: 7, tgid: 7), 7)], Family, 0, records, out _));
        Assert.Equal(7, Assert.Single(records).Pid);
    }

    [Fact]
    public void Garbage_never_throws()
    {
        var random = new Random(12);
        var records = new List<ExitRecord>();
        var valid = Message(Stats(), 100);
        for (var i = 0; i < 5000; i++)
        {
            var bytes = (byte[])valid.Clone();
            for (var k = 0; k < 1 + random.Next(8); k++) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            TaskstatsParser.Parse(bytes.AsSpan(0, random.Next(bytes.Length + 1)), Family, 0, records, out _);
        }
    }

    [Theory]
    [InlineData(10_000_000ul, 4000ul, 4000ul, 5_000_000ul, 5_000_000ul)]
    [InlineData(10_000_000ul, 0ul, 8000ul, 0ul, 10_000_000ul)]
    [InlineData(15_000_000ul, 8000ul, 4000ul, 10_000_000ul, 5_000_000ul)]
    [InlineData(9_000_000ul, 0ul, 0ul, 9_000_000ul, 0ul)]
    [InlineData(12_000_000ul, 8000ul, 4000ul, 8_000_000ul, 4_000_000ul)]
    public void Splits_the_cpu_like_proc_stat(ulong total, ulong utime, ulong stime, ulong user, ulong system)
    {
        TaskstatsParser.SplitRuntime(total, utime, stime, out var u, out var s);
        Assert.Equal((user, system), (u, s));
        Assert.Equal(total, u + s);
    }

    [Theory]
    // Never blocked: 6.2 ms alive, 0.9 ms of it waiting for a CPU; the runtime (3.9 ms) stopped at the last tick.
    [InlineData(3_900_000ul, 4000ul, 0ul, 6_200ul, 900_000ul, 0ul, 5_300_000ul)]
    // Never blocked, and the runtime caught the end exactly.
    [InlineData(5_300_000ul, 8000ul, 0ul, 6_200ul, 900_000ul, 0ul, 5_300_000ul)]
    // It blocked (a voluntary switch): its lifetime holds sleep, so the runtime, or the ticks when they show more.
    [InlineData(3_900_000ul, 4000ul, 0ul, 500_000ul, 900_000ul, 2ul, 4_000_000ul)]
    [InlineData(3_900_000ul, 0ul, 0ul, 500_000ul, 900_000ul, 2ul, 3_900_000ul)]
    // Lifetime less the wait is below the runtime (clock granularity): never less than the runtime.
    [InlineData(3_900_000ul, 0ul, 0ul, 3_000ul, 100_000ul, 0ul, 3_900_000ul)]
    // A gap of more than any tick between runtime and lifetime is not a lagging runtime: not trusted.
    [InlineData(3_900_000ul, 4000ul, 0ul, 60_000ul, 0ul, 0ul, 4_000_000ul)]
    // No scheduler figures (runtime 0): the tick samples.
    [InlineData(0ul, 8000ul, 4000ul, 6_200ul, 0ul, 0ul, 12_000_000ul)]
    // A wait longer than the life (inconsistent figures) does not underflow.
    [InlineData(3_900_000ul, 4000ul, 0ul, 1_000ul, 9_000_000ul, 0ul, 4_000_000ul)]
    public void Estimates_the_cpu_to_the_exit(ulong runtime, ulong utime, ulong stime, ulong elapsedMicros, ulong runDelay, ulong voluntary, ulong expected) =>
        Assert.Equal(expected, TaskstatsParser.EstimateCpuNanos(runtime, utime, stime, elapsedMicros, runDelay, voluntary));

    [Fact]
    public void A_task_that_never_blocked_counts_its_life_less_its_wait_for_a_cpu()
    {
        var stats = Stats(utimeMicros: 4000, stimeMicros: 0, runtimeNanos: 3_900_000);
        BinaryPrimitives.WriteUInt64LittleEndian(stats.AsSpan(24), 900_000);
        BinaryPrimitives.WriteUInt64LittleEndian(stats.AsSpan(144), 6_200);
        BinaryPrimitives.WriteUInt64LittleEndian(stats.AsSpan(272), 0);
        var records = new List<ExitRecord>();
        TaskstatsParser.Parse(Message(stats, 100), Family, 0, records, out _);
        var r = Assert.Single(records);
        Assert.Equal((5_300_000ul, 0ul), (r.CpuUserNanos, r.CpuSystemNanos));
    }
}
