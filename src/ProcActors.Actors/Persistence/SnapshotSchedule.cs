namespace ProcActors.Actors.Persistence;

/// <summary>A snapshot to delete: one sequence number, or (for one a run loaded) it and everything older it superseded.</summary>
public readonly record struct SnapshotDeletion(long Sequence, bool AndOlder);

/// <summary>
/// When to save and what to delete: a snapshot every N cycles, every cycle while saving fails, one at a time;
/// sequence numbers that keep growing across restarts; the last two snapshots kept. Nothing is saved before the
/// saved state was loaded (or found absent or set aside as unreadable): a save would hide it from the next start.
/// Nothing is deleted that this run did not load or write itself.
/// </summary>
public sealed class SnapshotSchedule(int everyCycles)
{
    private readonly Queue<long> _kept = new();
    private long _loaded = -1;
    private long _highest;
    private long _cyclesSinceSave;
    private bool _failing;

    public bool Saving { get; private set; }

    /// <summary>The saved state was loaded, found absent, or set aside: saving may start.</summary>
    public bool Resolved { get; private set; }

    /// <summary>Continues after the snapshot this run loaded (on time or late).</summary>
    public void Restored(long sequence)
    {
        _loaded = sequence;
        _kept.Enqueue(sequence);
        Seen(sequence);
        Resolved = true;
    }

    /// <summary>The store answered that there is no saved state.</summary>
    public void NothingSaved() => Resolved = true;

    /// <summary>An unreadable snapshot at this sequence is kept where it is: never deleted, and every save of ours is newer.</summary>
    public void SetAside(long sequence) => Seen(sequence);

    /// <summary>A cycle completed: true when a save is due now.</summary>
    public bool CycleCompleted()
    {
        _cyclesSinceSave++;
        return Resolved && !Saving && (_cyclesSinceSave >= everyCycles || _failing);
    }

    /// <summary>Starts a save. Sequence numbers are save times, so the latest snapshot is always the one loaded.</summary>
    public long Start(DateTimeOffset now)
    {
        Saving = true;
        _cyclesSinceSave = 0;
        return Math.Max(now.ToUnixTimeMilliseconds(), _highest + 1);
    }

    /// <summary>A save succeeded: what to delete now, if anything, so that it and the one before it remain.</summary>
    public SnapshotDeletion? Succeeded(long sequence)
    {
        Saving = false;
        _failing = false;
        Seen(sequence);
        _kept.Enqueue(sequence);
        if (_kept.Count <= 2) return null;
        var oldest = _kept.Dequeue();
        return new SnapshotDeletion(oldest, AndOlder: oldest == _loaded);
    }

    public void Failed()
    {
        Saving = false;
        _failing = true;
    }

    private void Seen(long sequence) => _highest = Math.Max(_highest, sequence);
}
