using ProcActors.Procfs;

namespace ProcActors.Tracking;

/// <summary>One process as read in one scan, with the group the scanner gave it.</summary>
public struct ProcSample
{
    public ProcId Id;
    public string Group;
    /// <summary>Set the first time a process is seen; null afterwards (static facts are read once).</summary>
    public ProcStatic? Static;
    /// <summary>The process started after the previous scan: all it did so far happened since then and counts.</summary>
    public bool CountFromStart;
    public ProcMetrics Metrics;
    /// <summary>What this sample tells its tracker: a reading (the default), or one of the special cases below.</summary>
    public SampleKind Kind;
}

public enum SampleKind : byte
{
    /// <summary>A fresh reading of the process.</summary>
    Read,
    /// <summary>A known process that is alive but could not be read this time: kept as it was, nothing counted.</summary>
    Unread,
    /// <summary>
    /// A recheck named a known process into another group (or none): its old group counts up to this reading, then
    /// lets it go. A Read sample for its new group follows, a baseline there: the interval is counted once, in the
    /// group the process had when it began.
    /// </summary>
    Leaving,
}

/// <summary>Where a scan delivers the processes it read: a local Tracker, or the group actors.</summary>
public interface IProcSink
{
    void Observe(in ProcSample sample);
}
