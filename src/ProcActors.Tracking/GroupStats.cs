using ProcActors.Procfs;

namespace ProcActors.Tracking;

/// <summary>Per thread name within a group: live threads now, and what threads of that name did since tracking began.</summary>
public sealed record ThreadGroupStats(int Count, ProcCounts Counts);

/// <summary>
/// A group at the end of a cycle. Counters are monotonic: they keep what exited members did. Gauges describe the
/// live members only.
/// </summary>
public sealed record GroupStats
{
    public required string Name { get; init; }
    public int Procs { get; init; }
    public ProcCounts Counts { get; init; }
    public ProcMemory Memory { get; init; }
    public ulong OpenFds { get; init; }
    /// <summary>The highest open-fds to fd-limit ratio among members; 0 without members.</summary>
    public double WorstFdRatio { get; init; }
    /// <summary>Start of the oldest live member; null without members.</summary>
    public DateTimeOffset? OldestStartTime { get; init; }
    public ulong NumThreads { get; init; }
    public ThreadStates States { get; init; }
    public IReadOnlyDictionary<string, int> Wchans { get; init; } = Empty<int>.Map;
    public IReadOnlyDictionary<string, ThreadGroupStats> Threads { get; init; } = Empty<ThreadGroupStats>.Map;
    /// <summary>What exit records added (already included in <see cref="Counts"/>); zero without exit accounting.</summary>
    public Exits.ShortLivedStats ShortLived { get; init; }

    private static class Empty<T>
    {
        public static readonly IReadOnlyDictionary<string, T> Map = new Dictionary<string, T>();
    }
}
