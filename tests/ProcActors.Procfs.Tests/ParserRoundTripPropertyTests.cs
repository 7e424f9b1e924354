using ProcActors.Testing;
using System.Globalization;
using System.Text;
using CsCheck;
using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

/// <summary>Random values written in the kernel's layout parse back to themselves.</summary>
public sealed class ParserRoundTripPropertyTests
{
    private const long Iterations = 2_000;

    /// <summary>Command names with the characters that trip naive parsers.</summary>
    private static readonly Gen<string> Comm = Gen.Char["ab() RSD:x0-/\t"].Array[0, 15].Select(chars => new string(chars));

    [Fact]
    public void Stat_fields_round_trip()
    {
        var gen =
            from pid in Gen.Int[0, int.MaxValue]
            from comm in Comm
            from state in Gen.Char["RSDZTtXIPK"]
            from ppid in Gen.Int[0, int.MaxValue]
            from faults in Gen.Select(Gen.ULong, Gen.ULong)
            from ticks in Gen.Select(Gen.ULong, Gen.ULong)
            from threads in Gen.UInt
            from start in Gen.ULong
            from vsize in Gen.ULong
            from rss in Gen.Long
            select (pid, comm, state, ppid, faults, ticks, threads, start, vsize, rss);

        gen.Sample(c =>
        {
            var content = Fixtures.Utf8(ProcText.Stat(c.pid, c.comm, c.state, c.ppid, c.faults.Item1, c.faults.Item2,
                c.ticks.Item1, c.ticks.Item2, c.threads, c.start, c.vsize, c.rss));

            Assert.True(StatParser.TryParse(content, out var stat));

            Assert.Equal(c.pid, stat.Pid);
            Assert.Equal(c.comm, Encoding.UTF8.GetString(content.AsSpan()[stat.Comm]));
            Assert.Equal((byte)c.state, stat.State);
            Assert.Equal(c.ppid, stat.ParentPid);
            Assert.Equal(c.faults.Item1, stat.MinorFaults);
            Assert.Equal(c.faults.Item2, stat.MajorFaults);
            Assert.Equal(c.ticks.Item1, stat.UserTicks);
            Assert.Equal(c.ticks.Item2, stat.SystemTicks);
            Assert.Equal(c.threads, stat.NumThreads);
            Assert.Equal(c.start, stat.StartTicks);
            Assert.Equal(c.vsize, stat.VirtualBytes);
            Assert.Equal(c.rss < 0 ? 0UL : (ulong)c.rss, stat.ResidentPages);
        }, iter: Iterations);
    }

    [Fact]
    public void Status_fields_round_trip()
    {
        var gen =
            from uid in Gen.UInt
            from realUid in Gen.UInt
            from swapKb in Gen.ULong[0, ulong.MaxValue / 1024].Nullable()
            from voluntary in Gen.ULong
            from nonvoluntary in Gen.ULong
            from kernelThread in Gen.Bool
            select (uid, realUid, swapKb, voluntary, nonvoluntary, kernelThread);

        gen.Sample(c =>
        {
            var content = Fixtures.Utf8(ProcText.Status("name", uid: c.uid, realUid: c.realUid, vmSwapKb: c.swapKb,
                voluntary: c.voluntary, nonvoluntary: c.nonvoluntary, kernelThread: c.kernelThread));

            Assert.True(StatusParser.TryParse(content, out var status));

            Assert.Equal(c.uid, status.EffectiveUid);
            Assert.Equal(c.kernelThread ? 0 : (c.swapKb ?? 0) * 1024, status.SwapBytes);
            Assert.Equal(c.voluntary, status.VoluntaryCtxSwitches);
            Assert.Equal(c.nonvoluntary, status.NonvoluntaryCtxSwitches);
        }, iter: Iterations);
    }

    [Fact]
    public void Io_bytes_round_trip()
    {
        Gen.Select(Gen.ULong, Gen.ULong).Sample((read, write) =>
        {
            Assert.True(IoParser.TryParse(Fixtures.Utf8(ProcText.Io(read, write)), out var io));

            Assert.Equal(read, io.ReadBytes);
            Assert.Equal(write, io.WriteBytes);
        }, iter: Iterations);
    }

    [Fact]
    public void Open_files_limit_round_trips()
    {
        Gen.Select(Gen.ULong, Gen.Bool).Sample((soft, unlimited) =>
        {
            var text = ProcText.Limits(unlimited ? "unlimited" : soft.ToString(CultureInfo.InvariantCulture));

            Assert.True(LimitsParser.TryParseMaxOpenFiles(Fixtures.Utf8(text), out var limit));

            Assert.Equal(unlimited ? ulong.MaxValue : soft, limit);
        }, iter: Iterations);
    }

    [Fact]
    public void Smaps_rollup_round_trips()
    {
        Gen.Select(Gen.ULong[0, ulong.MaxValue / 1024], Gen.ULong[0, ulong.MaxValue / 1024].Nullable()).Sample((pss, swapPss) =>
        {
            Assert.True(SmapsRollupParser.TryParse(Fixtures.Utf8(ProcText.SmapsRollup(pss, swapPss)), out var rollup));

            Assert.Equal(pss * 1024, rollup.ProportionalBytes);
            Assert.Equal((swapPss ?? 0) * 1024, rollup.ProportionalSwapBytes);
        }, iter: Iterations);
    }

    [Fact]
    public void Uptime_round_trips_in_ticks()
    {
        Gen.Select(Gen.ULong[0, 10_000_000_000], Gen.Int[0, 99], Gen.OneOfConst(100, 250, 1000)).Sample((seconds, hundredths, hz) =>
        {
            var text = string.Create(CultureInfo.InvariantCulture, $"{seconds}.{hundredths:D2} 1234.56\n");

            Assert.True(UptimeParser.TryParseTicks(Fixtures.Utf8(text), hz, out var ticks));

            Assert.Equal(seconds * (ulong)hz + (ulong)hundredths * (ulong)hz / 100, ticks);
        }, iter: Iterations);
    }

    [Fact]
    public void Boot_time_round_trips()
    {
        Gen.Long[0, long.MaxValue].Sample(bootTime =>
        {
            Assert.True(SystemStatParser.TryParseBootTime(Fixtures.Utf8(ProcText.SystemStat(bootTime)), out var parsed));

            Assert.Equal(bootTime, parsed);
        }, iter: Iterations);
    }

    [Fact]
    public void Command_lines_round_trip_with_or_without_the_last_NUL()
    {
        var arg = Gen.Char["ab -=/\u00e9\u65e5:"].Array[0, 12].Select(chars => new string(chars));
        Gen.Select(arg.Array[1, 8], Gen.Bool).Sample((args, terminated) =>
        {
            var text = string.Join('\0', args) + (terminated ? "\0" : "");
            // Without the last NUL a trailing empty argument cannot be told from none.
            if (!terminated && args[^1].Length == 0) return;

            Assert.Equal(args, CmdlineParser.Parse(Fixtures.Utf8(text)));
            // A small renewing pool (samples run in parallel: one each), parsed twice so that the second parse is served
            // from it, and renewed on the way: sharing never changes a value.
            var pool = new StringPool(capacity: 4, renewWhenFull: true);
            Assert.Equal(args, CmdlineParser.Parse(Fixtures.Utf8(text), pool));
            Assert.Equal(args, CmdlineParser.Parse(Fixtures.Utf8(text), pool));
        }, iter: Iterations);
    }

    [Fact]
    public void Cgroup_paths_round_trip()
    {
        var path = Gen.Char["abc/:.-_@"].Array[0, 30].Select(chars => "/" + new string(chars));
        var controllers = Gen.OneOfConst("", "cpu,cpuacct", "name=systemd", "memory");
        Gen.Select(controllers, path).Array[0, 12].Sample(lines =>
        {
            var text = string.Concat(lines.Select((l, i) => $"{i}:{l.Item1}:{l.Item2}\n"));

            Assert.Equal(lines.Select(l => l.Item2).ToArray(), CgroupParser.Parse(Fixtures.Utf8(text)));
            var pool = new StringPool(capacity: 4, renewWhenFull: true);
            Assert.Equal(lines.Select(l => l.Item2).ToArray(), CgroupParser.Parse(Fixtures.Utf8(text), pool));
            Assert.Equal(lines.Select(l => l.Item2).ToArray(), CgroupParser.Parse(Fixtures.Utf8(text), pool));
        }, iter: Iterations);
    }
}
