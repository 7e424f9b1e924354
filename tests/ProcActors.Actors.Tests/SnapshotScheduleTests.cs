using ProcActors.Actors.Persistence;

namespace ProcActors.Actors.Tests;

public sealed class SnapshotScheduleTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    [Fact]
    public void A_save_is_due_every_n_cycles_and_one_runs_at_a_time()
    {
        var schedule = new SnapshotSchedule(everyCycles: 3);
        schedule.NothingSaved();
        Assert.False(schedule.CycleCompleted());
        Assert.False(schedule.CycleCompleted());
        Assert.True(schedule.CycleCompleted());

        var sequence = schedule.Start(Now);
        for (var i = 0; i < 5; i++) Assert.False(schedule.CycleCompleted());
        schedule.Succeeded(sequence);
        // The cycles counted while saving count towards the next one.
        Assert.True(schedule.CycleCompleted());
    }

    [Fact]
    public void After_a_failure_every_cycle_tries_again_until_a_save_succeeds()
    {
        var schedule = new SnapshotSchedule(everyCycles: 100);
        schedule.NothingSaved();
        schedule.Start(Now);
        schedule.Failed();
        Assert.True(schedule.CycleCompleted());
        var sequence = schedule.Start(Now);
        schedule.Succeeded(sequence);
        Assert.False(schedule.CycleCompleted());
    }

    [Fact]
    public void Sequence_numbers_grow_across_restarts_even_when_the_clock_does_not()
    {
        var schedule = new SnapshotSchedule(1);
        schedule.Restored(Now.ToUnixTimeMilliseconds() + 5_000);
        var first = schedule.Start(Now);
        Assert.Equal(Now.ToUnixTimeMilliseconds() + 5_001, first);
        schedule.Succeeded(first);
        Assert.Equal(first + 1, schedule.Start(Now));
    }

    [Fact]
    public void The_last_two_snapshots_are_kept_and_the_loaded_one_goes_with_everything_it_superseded()
    {
        var schedule = new SnapshotSchedule(1);
        schedule.Restored(100);
        var first = schedule.Start(Now);
        Assert.Null(schedule.Succeeded(first));
        var second = schedule.Start(Now.AddSeconds(1));
        Assert.Equal(new SnapshotDeletion(100, AndOlder: true), schedule.Succeeded(second));
        var third = schedule.Start(Now.AddSeconds(2));
        Assert.Equal(new SnapshotDeletion(first, AndOlder: false), schedule.Succeeded(third));
    }

    [Fact]
    public void Nothing_is_saved_before_the_saved_state_was_loaded_found_absent_or_set_aside()
    {
        var schedule = new SnapshotSchedule(1);
        for (var i = 0; i < 10; i++) Assert.False(schedule.CycleCompleted());
        schedule.Restored(100);
        Assert.True(schedule.CycleCompleted());
    }

    [Fact]
    public void A_run_that_loaded_nothing_deletes_only_its_own_snapshots()
    {
        // The store was down at start, or the saved state was unreadable: what is there was never loaded.
        var schedule = new SnapshotSchedule(1);
        schedule.SetAside(Now.ToUnixTimeMilliseconds() + 60_000);
        schedule.NothingSaved();
        var first = schedule.Start(Now);
        Assert.True(first > Now.ToUnixTimeMilliseconds() + 60_000, "our saves are newer than the one set aside");
        Assert.Null(schedule.Succeeded(first));
        var second = schedule.Start(Now);
        Assert.Null(schedule.Succeeded(second));
        var third = schedule.Start(Now);
        Assert.Equal(new SnapshotDeletion(first, AndOlder: false), schedule.Succeeded(third));
    }
}
