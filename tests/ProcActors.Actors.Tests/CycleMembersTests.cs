using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Tracking;
using ProcActors.Tracking.Exits;

namespace ProcActors.Actors.Tests;

/// <summary>The member list of a group's cycle, without actors: written as observed, rewritten when the live set changed after.</summary>
public sealed class CycleMembersTests
{
    private static ProcSample Web(int pid, ulong cpu) => new()
    {
        Id = new ProcId(pid, 7), Group = "web",
        Static = new ProcStatic(new ProcId(pid, 7), $"p{pid}", [$"/bin/p{pid}"], [], 1, DateTimeOffset.UnixEpoch, 0, "root", "/bin/p"),
        Metrics = new ProcMetrics { Counts = new ProcCounts { CpuUserTicks = cpu }, NumThreads = 1 },
    };

    private static MemberList Cycle(Tracker tracker, CycleMembers members, ulong cpu, int? exitAfterSamples, params int[] pids)
    {
        tracker.BeginCycle();
        members.Begin(tracker.Count);
        foreach (var pid in pids) members.Observed(tracker.Observe(Web(pid, cpu)));
        if (exitAfterSamples is { } gone)
        {
            tracker.ObserveExit(new ProcExit { Kind = ExitKind.Process, Group = "web", Pid = gone, Tracked = new ProcId(gone, 7), Tasks = 1 });
        }
        return members.End(tracker).Members;
    }

    [Fact]
    public void The_list_holds_the_processes_that_lived_through_the_cycle_with_what_they_did_in_it()
    {
        var tracker = new Tracker();
        var members = new CycleMembers();
        Assert.Equal([10, 11, 12], Cycle(tracker, members, 1, null, 10, 11, 12).Select(m => m.Pid));

        var second = Cycle(tracker, members, 4, 11, 10, 11, 12);
        Assert.Equal([10, 12], second.Select(m => m.Pid).Order());
        Assert.All(second, m => Assert.Equal(3UL, m.CpuTicksDelta));
        Assert.Equal(["/bin/p10"], second.Single(m => m.Pid == 10).Cmdline);
    }
}
