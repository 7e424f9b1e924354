using ProcActors.Procfs;
using ProcActors.Tracking;

namespace ProcActors.Actors.View;

/// <summary>A process as its group actor last saw it, with what it did in the last cycle.</summary>
public readonly record struct MemberView(
    int Pid,
    ulong StartTicks,
    string Name,
    IReadOnlyList<string> Cmdline,
    DateTimeOffset? StartTime,
    ulong CpuTicksDelta,
    ulong ResidentBytes,
    ulong IoBytesDelta,
    ProcCounts Raw);

/// <summary>
/// What a group actor reports at the end of a cycle; Stats is null once an empty group was removed. BackwardsCounters
/// are those seen in this cycle: the view keeps the running total, so nothing goes when a group actor stops.
/// </summary>
public sealed record GroupReport(long Cycle, string Group, GroupStats? Stats, IReadOnlyList<MemberView> Members, long BackwardsCounters);

/// <summary>A group in the node view: its totals and the rates of the last cycle.</summary>
/// <remarks>Members is a recycled <see cref="MemberList"/> in views the pipeline publishes: copy what is kept beyond a cycle.</remarks>
public sealed record GroupView(GroupStats Stats, double CpuPercent, double ReadBytesPerSecond, double WriteBytesPerSecond, IReadOnlyList<MemberView> Members);

/// <summary>Running totals of the agent's own work, monotonic like process-exporter's scrape error counters.</summary>
public sealed record AgentCounters
{
    public long Cycles { get; init; }
    public long ScrapeErrors { get; init; }
    public long ReadErrors { get; init; }
    public long PermissionErrors { get; init; }
    public long PartialErrors { get; init; }
    public long SkippedIntervals { get; init; }
    public long BackwardsCounters { get; init; }
    public long SnapshotsSaved { get; init; }
    public long SnapshotFailures { get; init; }
    public TimeSpan LastScanDuration { get; init; }
    public TimeSpan LastUpdateLatency { get; init; }
    public int ProcessesListed { get; init; }
    public int ProcessesTracked { get; init; }
}

/// <summary>
/// Everything the node knows after a cycle: what /metrics serves and what queries answer. Immutable; replaced
/// whole each cycle, except that its member lists are refilled two views later (see <see cref="NodeViewStore"/>).
/// Versioned because it is what gets persisted.
/// </summary>
public sealed record NodeView
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public required string Node { get; init; }
    public long Cycle { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    /// <summary>Seconds between the starts of the last two scans: what the per-cycle deltas are divided by.</summary>
    public double IntervalSeconds { get; init; }
    public int TicksPerSecond { get; init; } = 100;
    /// <summary>The boot the process identities below belong to.</summary>
    public long? BootTimeSeconds { get; init; }
    /// <summary>The clock of the last scan: a process started later counts from its start.</summary>
    public ulong? LastScanUptimeTicks { get; init; }
    public IReadOnlyDictionary<string, GroupView> Groups { get; init; } = new Dictionary<string, GroupView>();
    public AgentCounters Counters { get; init; } = new();

    public static NodeView Empty(string node, int ticksPerSecond) => new() { Node = node, TicksPerSecond = ticksPerSecond };
}
