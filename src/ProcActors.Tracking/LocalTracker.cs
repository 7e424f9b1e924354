using ProcActors.Procfs;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Tracking;

/// <summary>
/// The whole of the seed's Tracker.Update on one thread: scan, track every group, total them. The agent splits the
/// same two parts across actors (scanner, group actors); tools and tests that need no actors use this.
/// </summary>
public sealed class LocalTracker(IProcNamer namer, ScannerOptions? options = null, bool removeEmptyGroups = false)
{
    public ProcScanner Scanner { get; } = new(namer, options);

    public Tracker Tracker { get; } = new(removeEmptyGroups);

    public IReadOnlyList<GroupStats> Groups { get; private set; } = [];

    public ScanResult Update(IProcSource source)
    {
        Tracker.BeginCycle();
        var result = Scanner.Scan(source, Tracker);
        // A scan that could not list the processes saw nobody exit: keep the tracked set as it is.
        if (result.Error is null) Groups = Tracker.EndCycle();
        return result;
    }
}
