using ProcActors.Actors.Persistence;

namespace ProcActors.Actors.Tests;

public sealed class SnapshotScheduleTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    [Fact]
    public void A_save_is_due_every_n_cycles_and_one_runs_at_a_time()
    {
        var schedule = new SnapshotSchedule(everyCycles: 3);
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
    public void The_last_two_snapshots_are_kept()
    {
        var schedule = new SnapshotSchedule(1);
        schedule.Restored(100);
        Assert.Equal(99, schedule.Succeeded(schedule.Start(Now)));
        var second = schedule.Start(Now.AddSeconds(1));
        Assert.Equal(Now.ToUnixTimeMilliseconds() - 1, schedule.Succeeded(second));
    }

    [Fact]
    public void Without_an_earlier_snapshot_of_ours_everything_older_than_the_first_save_goes()
    {
        var schedule = new SnapshotSchedule(1);
        var first = schedule.Start(Now);
        Assert.Equal(first - 1, schedule.Succeeded(first));
    }
}
