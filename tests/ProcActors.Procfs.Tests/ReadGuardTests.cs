using System.Diagnostics;

namespace ProcActors.Procfs.Tests;

/// <summary>The handshake between a reading thread and its watcher, with the watcher's clock given by the test.</summary>
public sealed class ReadGuardTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);
    private static readonly long DeadlineTicks = (long)(Deadline.TotalSeconds * Stopwatch.Frequency);
    private readonly List<int> _leftBehind = [];

    private ReadGuard Guard(int maxStuck = 2) => new(new ReadTimeouts(Deadline, maxStuck), _leftBehind.Add);

    [Fact]
    public void A_read_is_left_behind_only_after_a_whole_deadline_unchanged()
    {
        var guard = Guard();
        var token = guard.Enter(42);
        Assert.False(guard.TryAbandon(1_000, out _));
        Assert.False(guard.TryAbandon(1_000 + DeadlineTicks - 1, out _));
        Assert.True(guard.TryAbandon(1_000 + DeadlineTicks, out var pid));
        Assert.Equal(42, pid);
        Assert.Equal([42], _leftBehind);
        Assert.True(guard.IsQuarantined(42));
        Assert.Equal(1L, guard.Timeouts.TimedOut);
        Assert.Equal(1, guard.Timeouts.Stuck);

        // Its read returns: the thread learns it was left behind, and frees its slot and its pid.
        var left = Assert.Throws<ReadAbandonedException>(() => guard.Exit(token));
        guard.Released(left.Token);
        Assert.False(guard.IsQuarantined(42));
        Assert.Equal(0, guard.Timeouts.Stuck);
        Assert.Equal(1L, guard.Timeouts.TimedOut);
    }

    [Fact]
    public void Reads_that_move_on_are_never_left_behind()
    {
        var guard = Guard();
        var now = 0L;
        for (var i = 0; i < 100; i++)
        {
            var token = guard.Enter(i);
            Assert.False(guard.TryAbandon(now += DeadlineTicks, out _));
            guard.Exit(token);
            Assert.False(guard.TryAbandon(now += DeadlineTicks, out _));
        }
        Assert.Equal(0L, guard.Timeouts.TimedOut);
        Assert.Empty(_leftBehind);
    }

    [Fact]
    public void A_read_returning_first_wins_over_a_late_watcher()
    {
        var guard = Guard();
        var token = guard.Enter(7);
        Assert.False(guard.TryAbandon(0, out _));
        guard.Exit(token);
        // The watcher looks again with the same state gone: nothing to leave behind.
        Assert.False(guard.TryAbandon(DeadlineTicks * 10, out _));
        Assert.Equal(0, guard.Timeouts.Stuck);
    }

    [Fact]
    public void Past_the_bound_a_hung_read_is_counted_once_but_not_left_behind_until_a_slot_frees()
    {
        var timeouts = new ReadTimeouts(Deadline, maxStuckReads: 1);
        var first = new ReadGuard(timeouts, _leftBehind.Add);
        var second = new ReadGuard(timeouts, _leftBehind.Add);
        var firstToken = first.Enter(1);
        first.TryAbandon(0, out _);
        Assert.True(first.TryAbandon(DeadlineTicks, out _));

        second.Enter(2);
        second.TryAbandon(0, out _);
        for (var i = 1; i <= 5; i++) Assert.False(second.TryAbandon(DeadlineTicks * i, out _));
        Assert.Equal(2L, timeouts.TimedOut);
        Assert.Equal(1, timeouts.Stuck);

        first.Released(Assert.Throws<ReadAbandonedException>(() => first.Exit(firstToken)).Token);
        Assert.True(second.TryAbandon(DeadlineTicks * 6, out var pid));
        Assert.Equal(2, pid);
        Assert.Equal(2L, timeouts.TimedOut);
        Assert.Equal(1, timeouts.Stuck);
    }

    [Fact]
    public void A_release_is_taken_once()
    {
        var guard = Guard();
        var token = guard.Enter(9);
        guard.TryAbandon(0, out _);
        guard.TryAbandon(DeadlineTicks, out _);
        guard.Released(token);
        guard.Released(token);
        Assert.Equal(0, guard.Timeouts.Stuck);
    }
}
