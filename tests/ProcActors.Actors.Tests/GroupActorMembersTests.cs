using Akka.Actor;
using Akka.Hosting;
using ProcActors.Actors.Pipeline;
using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Tracking;
using ProcActors.Tracking.Exits;

namespace ProcActors.Actors.Tests;

/// <summary>
/// A group actor writes each member as its process is observed; the member list it reports holds exactly the
/// processes that lived through the cycle, also when one of them is dropped after its sample.
/// </summary>
public sealed class GroupActorMembersTests(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
    }

    private static ObserveSamples Samples(long cycle, params (int Pid, ulong Rss)[] procs)
    {
        var samples = new ProcSample[procs.Length];
        for (var i = 0; i < procs.Length; i++)
        {
            samples[i] = new ProcSample
            {
                Id = new ProcId(procs[i].Pid, 7), Group = "web",
                Static = new ProcStatic(new ProcId(procs[i].Pid, 7), $"p{procs[i].Pid}", [$"/bin/p{procs[i].Pid}"], [], 1, DateTimeOffset.UnixEpoch, 0, "root", "/bin/p"),
                Metrics = new ProcMetrics { Counts = new ProcCounts { CpuUserTicks = (ulong)cycle }, Memory = new ProcMemory { ResidentBytes = procs[i].Rss }, NumThreads = 1 },
            };
        }
        return new ObserveSamples(cycle, new SampleShare("web", samples, samples.Length, new SampleBuffers()));
    }

    private GroupReport Report(IActorRef group, long cycle)
    {
        group.Tell(new EndCycle(cycle));
        return ExpectMsg<GroupReport>(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void The_members_reported_are_those_that_lived_through_the_cycle_also_when_an_exit_record_follows_a_sample()
    {
        var group = Sys.ActorOf(GroupActor.Props("web", TestActor, removeEmptyGroups: false));
        group.Tell(Samples(1, (10, 100), (11, 100), (12, 100)));
        var first = Report(group, 1);
        Assert.Equal([10, 11, 12], first.Members.Select(m => m.Pid).Order());
        Assert.Equal(["/bin/p10"], first.Members.Single(m => m.Pid == 10).Cmdline);

        // 11's exit record comes after its sample: it is in neither the members nor the gauges.
        group.Tell(Samples(2, (10, 100), (11, 100), (12, 100)));
        var exits = new ProcExit[64];
        exits[0] = new ProcExit { Kind = ExitKind.Process, Group = "web", Pid = 11, Tracked = new ProcId(11, 7), Tasks = 1 };
        group.Tell(new ObserveExits(2, exits, 1));
        var second = Report(group, 2);
        Assert.Equal([10, 12], second.Members.Select(m => m.Pid).Order());
        Assert.Equal((2, 200UL), (second.Stats!.Procs, second.Stats.Memory.ResidentBytes));

        // A cycle without any: the members as observed.
        group.Tell(Samples(3, (10, 300), (12, 100)));
        var third = Report(group, 3);
        Assert.Equal([10, 12], third.Members.Select(m => m.Pid).Order());
        Assert.Equal(300UL, third.Members.Single(m => m.Pid == 10).ResidentBytes);
        Assert.Equal((2, 400UL), (third.Stats!.Procs, third.Stats.Memory.ResidentBytes));
    }
}
