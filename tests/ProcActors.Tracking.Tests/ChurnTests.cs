using ProcActors.Testing;
using CsCheck;
using ProcActors.Procfs;

namespace ProcActors.Tracking.Tests;

public sealed class ChurnTests
{
    [Fact]
    public void After_100k_births_and_deaths_the_maps_are_back_at_their_baseline_size()
    {
        var source = new FakeProcSource();
        var tracker = new LocalTracker(new CommNamer("svc"));
        for (var pid = 2; pid < 102; pid++) source.Add(pid, pid % 2 == 0 ? "svc" : "other");
        tracker.Update(source);
        var baseline = (tracker.Scanner.Registry.Count, tracker.Scanner.Registry.PidCount, tracker.Tracker.Count);
        Assert.Equal((100, 100, 50), baseline);

        var nextPid = 1_000;
        ulong uptime = source.UptimeTicks;
        var births = 0;
        while (births < 100_000)
        {
            uptime += 10;
            source.UptimeTicks = uptime;
            // Tracked, ignored (unmatched), forbidden, and children of tracked processes: all must be forgotten.
            for (var i = 0; i < 100; i++, births++)
            {
                var pid = nextPid++;
                var kind = i % 4;
                var proc = source.Add(pid, kind == 0 ? "svc" : "other", startTicks: uptime - 5, parent: kind == 3 ? 2 : 1);
                if (kind == 2) proc.MetricsStatus = ReadStatus.PermissionDenied;
                proc.Advance(1);
            }
            tracker.Update(source);
            for (var pid = nextPid - 100; pid < nextPid; pid++) source.Remove(pid);
            // Recycle pids so reuse happens too.
            if (nextPid > 30_000) nextPid = 1_000;
        }
        tracker.Update(source);

        Assert.Equal(baseline, (tracker.Scanner.Registry.Count, tracker.Scanner.Registry.PidCount, tracker.Tracker.Count));
        // Every tracked birth counted its full work once: 25 "svc" and 25 children per 100 births.
        Assert.Equal(50_000UL, tracker.Groups.Single(g => g.Name == "svc").Counts.CpuUserTicks);
    }

    [Fact]
    public void Group_counters_equal_the_sum_of_advances_and_never_go_down()
    {
        var steps = Gen.Select(Gen.Int[0, 4], Gen.UInt[0, 1_000], Gen.Bool).Array[1, 60];
        steps.Sample(script =>
        {
            var source = new FakeProcSource();
            var tracker = new LocalTracker(new CommNamer("g"));
            for (var pid = 10; pid < 15; pid++) source.Add(pid, "g");
            tracker.Update(source);

            ulong expected = 0, previous = 0;
            foreach (var (who, amount, backwards) in script)
            {
                var proc = source[10 + who];
                if (backwards)
                {
                    // A counter that drops (e.g. a thread's share leaving a sum) must not subtract or wrap.
                    proc.Metrics.Counts.ReadBytes /= 2;
                }
                else
                {
                    proc.Metrics.Counts.ReadBytes += amount;
                    expected += amount;
                }
                tracker.Update(source);
                var now = tracker.Groups.Single().Counts.ReadBytes;
                if (now < previous) return false;
                previous = now;
                if (!backwards && now > expected) return false;
            }
            return !script.Any(s => s.Item3) ? previous == expected : previous <= expected;
        }, iter: 300);
    }
}
