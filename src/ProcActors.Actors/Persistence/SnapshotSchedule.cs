namespace ProcActors.Actors.Persistence;

/// <summary>
/// When to save and what to delete: a snapshot every N cycles, every cycle while saving fails, one at a time;
/// sequence numbers that keep growing across restarts; and only the last two snapshots kept.
/// </summary>
public sealed class SnapshotSchedule(int everyCycles)
{
    private long _cyclesSinceSave;
    private long _lastSaved;
    private bool _failing;

    public bool Saving { get; private set; }

    /// <summary>Continues after the snapshot a restart loaded.</summary>
    public void Restored(long sequence) => _lastSaved = sequence;

    /// <summary>A cycle completed: true when a save is due now.</summary>
    public bool CycleCompleted()
    {
        _cyclesSinceSave++;
        return !Saving && (_cyclesSinceSave >= everyCycles || _failing);
    }

    /// <summary>Starts a save. Sequence numbers are save times, so the latest snapshot is always the one loaded.</summary>
    public long Start(DateTimeOffset now)
    {
        Saving = true;
        _cyclesSinceSave = 0;
        return Math.Max(now.ToUnixTimeMilliseconds(), _lastSaved + 1);
    }

    /// <summary>
    /// A save succeeded: returns the highest sequence number to delete, so that it and the one before it remain.
    /// With no earlier save of ours to keep (a fresh start, an unreadable snapshot) everything older goes.
    /// </summary>
    public long Succeeded(long sequence)
    {
        Saving = false;
        _failing = false;
        var keepFrom = _lastSaved > 0 ? _lastSaved : sequence;
        _lastSaved = sequence;
        return keepFrom - 1;
    }

    public void Failed()
    {
        Saving = false;
        _failing = true;
    }
}
