using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Tracking;

namespace ProcActors.Actors.Persistence;

/// <summary>
/// What survives a restart: each group's monotonic counters, the last raw reading of every tracked process (to
/// take the first delta after the restart from), the clock of the last scan, and the agent's own counters.
/// Versioned and written with a stable manifest; an unknown version is refused, never guessed at.
/// </summary>
public sealed record AgentSnapshot(
    int Version,
    string Node,
    DateTimeOffset SavedAt,
    long? BootTimeSeconds,
    ulong? LastScanUptimeTicks,
    SnapshotCounters Counters,
    IReadOnlyList<GroupSnapshot> Groups,
    IReadOnlyList<ProcessSnapshot> Processes)
{
    public const int CurrentVersion = 1;

    public static AgentSnapshot From(NodeView view, DateTimeOffset now) =>
        new(
            CurrentVersion,
            view.Node,
            now,
            view.BootTimeSeconds,
            view.LastScanUptimeTicks,
            SnapshotCounters.From(view.Counters),
            [.. view.Groups.Values.Select(g => GroupSnapshot.From(g.Stats))],
            [.. view.Groups.Values.SelectMany(g => g.Members.Select(m => new ProcessSnapshot(m.Pid, m.StartTicks, g.Stats.Name, CountsSnapshot.From(m.Raw))))]);

    /// <summary>The view /metrics serves right after a restart, before the first scan: the counters as saved, no members.</summary>
    public NodeView ToView(NodeView empty) =>
        empty with
        {
            BootTimeSeconds = BootTimeSeconds,
            LastScanUptimeTicks = LastScanUptimeTicks,
            Counters = Counters.ToCounters(),
            Groups = Groups.ToDictionary(
                g => g.Name,
                g => new GroupView(new GroupStats { Name = g.Name, Counts = g.Counts.ToCounts(), Threads = g.ThreadTotals() }, 0, 0, 0, []),
                StringComparer.Ordinal),
        };

    /// <summary>Whether the saved process identities belong to the boot the agent runs in now (btime moves by a second at most).</summary>
    public bool IsSameBoot(long? bootTimeSeconds) =>
        BootTimeSeconds is { } saved && bootTimeSeconds is { } now && Math.Abs(saved - now) <= 2;
}

public sealed record SnapshotCounters(
    long Cycles, long ScrapeErrors, long ReadErrors, long PermissionErrors, long PartialErrors, long SkippedIntervals,
    long BackwardsCounters, long SnapshotsSaved, long SnapshotFailures)
{
    public static SnapshotCounters From(AgentCounters c) =>
        new(c.Cycles, c.ScrapeErrors, c.ReadErrors, c.PermissionErrors, c.PartialErrors, c.SkippedIntervals,
            c.BackwardsCounters, c.SnapshotsSaved, c.SnapshotFailures);

    public AgentCounters ToCounters() => new()
    {
        Cycles = Cycles,
        ScrapeErrors = ScrapeErrors,
        ReadErrors = ReadErrors,
        PermissionErrors = PermissionErrors,
        PartialErrors = PartialErrors,
        SkippedIntervals = SkippedIntervals,
        BackwardsCounters = BackwardsCounters,
        SnapshotsSaved = SnapshotsSaved,
        SnapshotFailures = SnapshotFailures,
    };
}

public sealed record GroupSnapshot(string Name, CountsSnapshot Counts, IReadOnlyDictionary<string, CountsSnapshot> Threads)
{
    public static GroupSnapshot From(GroupStats stats) =>
        new(stats.Name, CountsSnapshot.From(stats.Counts), stats.Threads.ToDictionary(t => t.Key, t => CountsSnapshot.From(t.Value.Counts), StringComparer.Ordinal));

    public Dictionary<string, ThreadGroupStats> ThreadTotals() =>
        Threads.ToDictionary(t => t.Key, t => new ThreadGroupStats(0, t.Value.ToCounts()), StringComparer.Ordinal);
}

public sealed record ProcessSnapshot(int Pid, ulong StartTicks, string Group, CountsSnapshot Raw);

/// <summary>The persisted form of <see cref="ProcCounts"/>: named properties, CPU in clock ticks.</summary>
public sealed record CountsSnapshot(
    ulong CpuUserTicks, ulong CpuSystemTicks, ulong ReadBytes, ulong WriteBytes, ulong MajorPageFaults,
    ulong MinorPageFaults, ulong VoluntaryCtxSwitches, ulong NonvoluntaryCtxSwitches)
{
    public static CountsSnapshot From(in ProcCounts c) =>
        new(c.CpuUserTicks, c.CpuSystemTicks, c.ReadBytes, c.WriteBytes, c.MajorPageFaults, c.MinorPageFaults,
            c.VoluntaryCtxSwitches, c.NonvoluntaryCtxSwitches);

    public ProcCounts ToCounts() => new()
    {
        CpuUserTicks = CpuUserTicks,
        CpuSystemTicks = CpuSystemTicks,
        ReadBytes = ReadBytes,
        WriteBytes = WriteBytes,
        MajorPageFaults = MajorPageFaults,
        MinorPageFaults = MinorPageFaults,
        VoluntaryCtxSwitches = VoluntaryCtxSwitches,
        NonvoluntaryCtxSwitches = NonvoluntaryCtxSwitches,
    };
}
