using System.Threading.Channels;
using ProcActors.Actors.Pipeline;
using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Tracking;

namespace ProcActors.Actors.Tests;

/// <summary>
/// The path from a scan to the node view without the actors (their mailboxes are Akka's): the sink and its channel,
/// the router's shares, a tracker per group, the member lists, the assembler and the store. In a steady cycle
/// nothing may be allocated per process; what is left is per group and per batch.
/// </summary>
public sealed class CycleAllocationTests
{
    private const int Processes = 5_000;
    private const int Groups = 5;

    [Fact]
    public void A_steady_cycle_allocates_nothing_per_process()
    {
        var channel = Channel.CreateUnbounded<ScanBatch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var sink = new ChannelProcSink(channel.Writer);
        var shares = new GroupShares();
        var delivered = new List<SampleShare>();
        var names = Enumerable.Range(0, Groups).Select(g => $"g{g}").ToArray();
        var trackers = names.ToDictionary(n => n, _ => new Tracker(), StringComparer.Ordinal);
        var members = names.ToDictionary(n => n, _ => new CycleMembers(), StringComparer.Ordinal);
        var store = new NodeViewStore(NodeView.Empty("n", 100));
        var assembler = new CycleAssembler(store.Current);
        var threads = new ThreadSample[4];
        var facts = Enumerable.Range(0, Processes)
            .Select(i => new ProcStatic(new ProcId(1000 + i, 7), names[i % Groups], [], [], 1, DateTimeOffset.UnixEpoch, 0, "root", "/bin/x"))
            .ToArray();

        void Deliver(in SampleShare share)
        {
            var tracker = trackers[share.Group];
            if (!_begun.Contains(share.Group))
            {
                tracker.BeginCycle();
                members[share.Group].Begin(tracker.Count);
                _begun.Add(share.Group);
            }
            // As the group actor does: each member written as its process is observed.
            foreach (ref readonly var sample in share.Samples.AsSpan(0, share.Count))
            {
                members[share.Group].Observed(tracker.Observe(sample));
                ChannelProcSink.ReleaseThreads(sample);
            }
            share.Buffers.Return(share.Samples, share.Count);
        }

        long RunCycle(long cycle)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            _begun.Clear();
            sink.Begin(cycle);
            for (var i = 0; i < Processes; i++)
            {
                var sample = new ProcSample
                {
                    Id = facts[i].Id,
                    Group = facts[i].Name,
                    Static = cycle == 1 ? facts[i] : null,
                    Kind = SampleKind.Read,
                };
                sample.Metrics.Counts.CpuUserTicks = (ulong)(cycle * (1 + i % 5));
                sample.Metrics.Counts.VoluntaryCtxSwitches = (ulong)(cycle * 7);
                sample.Metrics.Memory.ResidentBytes = 4096;
                sample.Metrics.NumThreads = i % 10 == 0 ? 4u : 1u;
                if (i % 10 == 0)
                {
                    for (var t = 0; t < 4; t++) threads[t] = new ThreadSample { Tid = 1000 + i + t, Name = "worker", Counts = sample.Metrics.Counts };
                    sample.Metrics.Threads = threads;
                    sample.Metrics.ThreadCount = 4;
                }
                sink.Observe(sample);
            }
            sink.Complete(new CycleEnd(cycle, 0, DateTimeOffset.UnixEpoch.AddSeconds(cycle * 5), TimeSpan.Zero, new ScanResult { Listed = Processes }, 0));

            CycleEnd? end = null;
            while (channel.Reader.TryRead(out var batch))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    if (shares.Add(batch.Samples[i], out var full)) Deliver(full);
                }
                ChannelProcSink.ReleaseBatch(batch);
                end ??= batch.End;
            }
            shares.Flush(delivered);
            foreach (var share in delivered) Deliver(share);
            delivered.Clear();

            foreach (var name in names)
            {
                var tracker = trackers[name];
                Assert.True(tracker.LiveAsObserved);
                var (stats, list) = members[name].End(tracker);
                Assert.Equal(stats[0].Procs, list.Count);
                assembler.Add(new GroupReport(cycle, name, stats[0], list, 0));
            }
            store.Publish(assembler.Close(new CycleClosed(end!, Groups))!);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        for (var cycle = 1; cycle <= 4; cycle++) RunCycle(cycle);
        var steady = Enumerable.Range(5, 3).Select(c => RunCycle(c)).Min();

        Assert.Equal(Processes, store.Current.Counters.ProcessesTracked);
        // Exact all the same: counted from each process's first reading in cycle 1, six cycles of (1 + pid % 5) ticks.
        Assert.Equal(6UL * 15 * (Processes / 5), SumCpu(store.Current));
        // Before the shares, pools and member lists this path allocated ~700 bytes per process and cycle.
        Assert.True(steady < Processes * 8, $"{steady} bytes allocated in a steady cycle of {Processes} processes ({(double)steady / Processes:F1} per process)");
    }

    private readonly HashSet<string> _begun = new(StringComparer.Ordinal);

    private static ulong SumCpu(NodeView view) => (ulong)view.Groups.Values.Sum(g => (long)g.Stats.Counts.CpuUserTicks);
}
