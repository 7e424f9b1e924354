using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Tracking;

namespace ProcActors.Actors.Tests;

public sealed class MemberRecyclingTests
{
    private static MemberView Member(int pid) => new(pid, 1, "p", [], null, 0, 0, 0, default);

    private static MemberList Report(MemberListPool pool, params int[] pids)
    {
        var list = pool.Take(pids.Length);
        foreach (var pid in pids) list.Add(Member(pid));
        list.Complete();
        return list;
    }

    private static NodeView View(long cycle, MemberList members) => NodeView.Empty("n", 100) with
    {
        Cycle = cycle,
        Groups = new Dictionary<string, GroupView> { ["a"] = new(new GroupStats { Name = "a" }, 0, 0, 0, members) },
    };

    [Fact]
    public void A_views_members_stay_whole_for_a_cycle_after_it_was_replaced_and_are_reused_after_that()
    {
        var pool = new MemberListPool();
        var store = new NodeViewStore(NodeView.Empty("n", 100));
        var first = Report(pool, 1, 2, 3);
        store.Publish(View(1, first));
        store.Publish(View(2, Report(pool, 4, 5)));
        // Replaced once: still readable as it was, and not handed out again.
        Assert.Equal([1, 2, 3], first.Select(m => m.Pid));
        var third = Report(pool, 6);
        Assert.NotSame(first, third);

        store.Publish(View(3, third));
        // Replaced twice: back in the pool, and the next group report fills it.
        var fourth = Report(pool, 7, 8);
        Assert.Same(first, fourth);
        Assert.Equal([7, 8], first.Select(m => m.Pid));
    }

    [Fact]
    public void A_list_filled_again_for_fewer_members_keeps_only_those()
    {
        var pool = new MemberListPool();
        var list = Report(pool, 1, 2, 3, 4);
        list.Release();
        var again = pool.Take(4);
        Assert.Same(list, again);
        again.Add(Member(5));
        again.Add(Member(6));
        again.Complete();
        Assert.Equal([5, 6], again.Select(m => m.Pid));
        // The slots the first filling left hold nothing: no stale names or command lines kept alive.
        Assert.Equal(0, again.Storage[2].Pid);
        Assert.Null(again.Storage[3].Name);
    }

    [Fact]
    public void A_filling_restarted_within_a_cycle_clears_what_either_filling_left()
    {
        var pool = new MemberListPool();
        var list = Report(pool, 1, 2);
        list.Release();
        var again = pool.Take(8);
        Assert.Same(list, again);
        // Written as observed, then written again from the processes that lived (an exit record came late).
        foreach (var pid in new[] { 3, 4, 5 }) again.Add(Member(pid));
        again.Restart(8);
        again.Add(Member(4));
        again.Complete();
        Assert.Equal([4], again.Select(m => m.Pid));
        Assert.Equal(0, again.Storage[1].Pid);
        Assert.Equal(0, again.Storage[2].Pid);
    }

    [Fact]
    public void A_list_grows_past_the_room_it_was_taken_with()
    {
        var pool = new MemberListPool();
        var pids = Enumerable.Range(1, 40).ToArray();
        var list = pool.Take(2);
        foreach (var pid in pids) list.Add(Member(pid));
        list.Complete();
        Assert.Equal(pids, list.Select(m => m.Pid));
    }

    [Fact]
    public void A_view_republished_with_the_same_groups_recycles_nothing()
    {
        var pool = new MemberListPool();
        var store = new NodeViewStore(NodeView.Empty("n", 100));
        var served = Report(pool, 1);
        var view = View(1, served);
        store.Publish(view);
        // A failed listing and a saved snapshot publish the same groups again (new counters only).
        store.Publish(view with { Cycle = 2 });
        store.Publish(view with { Cycle = 3 });
        Assert.Equal(1, store.Generation);
        Assert.NotSame(served, Report(pool, 2));
        Assert.Equal([1], served.Select(m => m.Pid));
    }

    [Fact]
    public void A_list_handed_back_twice_is_pooled_once()
    {
        var pool = new MemberListPool();
        var list = Report(pool, 1);
        list.Release();
        list.Release();
        Assert.Same(list, Report(pool, 2));
        Assert.NotSame(list, Report(pool, 3));
    }

    [Fact]
    public void A_reader_on_another_thread_reads_again_when_the_lists_it_read_were_recycled_meanwhile()
    {
        var pool = new MemberListPool();
        var store = new NodeViewStore(NodeView.Empty("n", 100));
        store.Publish(View(1, Report(pool, 1)));
        var attempts = 0;
        var pids = store.ReadConsistent(view =>
        {
            attempts++;
            var read = view.Groups["a"].Members.Select(m => m.Pid).ToArray();
            // Two new views while the first attempt reads: its lists may have been filled again under it.
            if (attempts == 1)
            {
                store.Publish(View(2, Report(pool, 2)));
                store.Publish(View(3, Report(pool, 3)));
            }
            return read;
        });
        Assert.Equal(2, attempts);
        Assert.Equal([3], pids);
    }

    [Fact]
    public void A_list_shrinks_without_keeping_the_members_it_no_longer_holds()
    {
        var pool = new MemberListPool();
        var list = Report(pool, 1, 2, 3);
        list.Release();
        var again = Report(pool, 9);
        Assert.Same(list, again);
        Assert.Equal([9], again.Select(m => m.Pid));
        Assert.Single(again);
        Assert.Throws<ArgumentOutOfRangeException>(() => again[1]);
    }
}
