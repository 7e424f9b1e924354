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
}

/// <summary>Where a scan delivers the processes it read: a local Tracker, or the group actors.</summary>
public interface IProcSink
{
    void Observe(in ProcSample sample);
}
