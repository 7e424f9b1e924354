using ProcActors.Actors.Pipeline;
using ProcActors.Procfs;
using ProcActors.Tracking;

namespace ProcActors.Actors.Tests;

public sealed class GroupSharesTests
{
    private static ProcSample Sample(int pid, string group) => new() { Id = new ProcId(pid, 1), Group = group, Kind = SampleKind.Read };

    private static List<SampleShare> Cycle(GroupShares shares, IEnumerable<ProcSample> samples)
    {
        var delivered = new List<SampleShare>();
        foreach (var sample in samples)
        {
            if (shares.Add(sample, out var full)) delivered.Add(full);
        }
        shares.Flush(delivered);
        return delivered;
    }

    private static int[] Pids(IEnumerable<SampleShare> shares, string group) =>
        [.. shares.Where(s => s.Group == group).SelectMany(s => s.Samples.Take(s.Count)).Select(s => s.Id.Pid)];

    [Fact]
    public void Every_sample_reaches_its_group_once_in_scan_order()
    {
        var shares = new GroupShares(maxShare: 8);
        var samples = Enumerable.Range(1, 100).Select(pid => Sample(pid, pid % 3 == 0 ? "a" : "b")).ToList();
        var delivered = Cycle(shares, samples);

        Assert.Equal(samples.Where(s => s.Group == "a").Select(s => s.Id.Pid), Pids(delivered, "a"));
        Assert.Equal(samples.Where(s => s.Group == "b").Select(s => s.Id.Pid), Pids(delivered, "b"));
        Assert.All(delivered, s => Assert.InRange(s.Count, 1, 8));
        Assert.False(shares.Holds("a"));
    }

    [Fact]
    public void A_full_share_is_delivered_at_once_and_the_rest_waits_for_the_end_of_the_cycle()
    {
        var shares = new GroupShares(maxShare: 64);
        // The first share of a group holds 4 samples.
        for (var pid = 1; pid <= 3; pid++) Assert.False(shares.Add(Sample(pid, "a"), out _));
        Assert.True(shares.Holds("a"));
        Assert.True(shares.Add(Sample(4, "a"), out var full));
        Assert.Equal(4, full.Count);
        Assert.False(shares.Holds("a"));
        Assert.False(shares.Add(Sample(5, "a"), out _));
        Assert.True(shares.Holds("a"));
        var rest = new List<SampleShare>();
        shares.Flush(rest);
        Assert.Equal([5], Pids(rest, "a"));
    }

    [Fact]
    public void In_a_steady_cycle_the_same_arrays_come_back_and_no_new_one_is_made()
    {
        var shares = new GroupShares(maxShare: 16);
        var samples = Enumerable.Range(1, 200).Select(pid => Sample(pid, $"g{pid % 5}")).ToList();
        var seen = new HashSet<ProcSample[]>(ReferenceEqualityComparer.Instance);
        for (var cycle = 0; cycle < 6; cycle++)
        {
            var delivered = Cycle(shares, samples);
            // The group actor hands each array back once its tracker has the samples.
            foreach (var share in delivered) share.Buffers.Return(share.Samples, share.Count);
            if (cycle < 3) foreach (var share in delivered) seen.Add(share.Samples);
            else Assert.All(delivered, share => Assert.Contains(share.Samples, seen));
        }
    }

    [Fact]
    public void A_returned_array_is_cleared_so_gone_processes_are_not_kept_reachable()
    {
        var buffers = new SampleBuffers();
        var array = buffers.Take(4);
        array[0] = Sample(1, "a");
        buffers.Return(array, 1);
        Assert.Same(array, buffers.Take(4));
        Assert.Null(array[0].Group);
    }

    [Fact]
    public void Idle_groups_are_forgotten_but_not_those_with_samples_waiting()
    {
        var shares = new GroupShares();
        Cycle(shares, [Sample(1, "gone")]);
        shares.Add(Sample(2, "waiting"), out _);
        shares.ForgetIdle();
        Assert.Equal(1, shares.Groups);
        Assert.True(shares.Holds("waiting"));
    }
}
