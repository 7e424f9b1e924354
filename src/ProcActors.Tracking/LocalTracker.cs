using ProcActors.Procfs;
using ProcActors.Procfs.Taskstats;
using ProcActors.Tracking.Exits;
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

    /// <summary>Turns exit records into per-group exits, as the scanner actor does.</summary>
    public ExitAttributor Exits { get; } = new(namer, options);

    /// <summary>The children fallback, when set: parents' reaped-children CPU added to their groups.</summary>
    public ReapedChildrenSink? ReapedChildren { get; set; }

    /// <summary>With exit records, when set: the teardown of exits restored from their reapers (set it on <see cref="Exits"/> too).</summary>
    public ExitTeardownSink? Teardown
    {
        get => Exits.Teardown;
        set => Exits.Teardown = value;
    }

    private readonly List<ProcExit> _exits = [];
    private readonly List<ProcExit> _ahead = [];

    /// <summary>
    /// Between two updates: attributes what it can of the records received so far (taken and cleared), as the scanner
    /// actor does when records pile up; their exits are counted with the next update, as if they had come with it.
    /// </summary>
    public void TakeAhead(IProcSource source, List<ExitRecord> exitRecords)
    {
        Exits.TakeAhead(exitRecords, Scanner.Registry, source.BootTimeSeconds ?? 0, ClockTicks.PerSecond, _ahead);
        exitRecords.Clear();
    }

    /// <summary>A reloaded configuration, for the scans and the exit records alike.</summary>
    public void ReplaceNamer(IProcNamer namer)
    {
        Scanner.ReplaceNamer(namer);
        Exits.ReplaceNamer(namer);
    }

    /// <param name="exitRecords">Exit records received since the last update (taken and cleared), or null without exit accounting.</param>
    public ScanResult Update(IProcSource source, List<ExitRecord>? exitRecords = null)
    {
        Tracker.BeginCycle();
        foreach (var exit in _ahead) Tracker.ObserveExit(exit);
        _ahead.Clear();
        if (exitRecords is not null)
        {
            _exits.Clear();
            Exits.Attribute(exitRecords, Scanner.Registry, source.BootTimeSeconds ?? 0, ClockTicks.PerSecond, _exits);
            exitRecords.Clear();
            foreach (var exit in _exits) Tracker.ObserveExit(exit);
        }
        // The teardown needs the records; the children fallback stands in for them.
        IReaperSink? reaper = ReapedChildren is { } reaped ? reaped : exitRecords is not null ? Teardown : null;
        reaper?.BeginScan(Tracker);
        var result = Scanner.Scan(source, reaper ?? (IProcSink)Tracker);
        _exits.Clear();
        reaper?.EndScan(result.Error is null, Scanner.Registry, _exits);
        foreach (var exit in _exits) Tracker.ObserveExit(exit);
        // A scan that could not list the processes saw nobody exit: keep the tracked set as it is.
        if (result.Error is null) Groups = Tracker.EndCycle();
        return result;
    }
}
