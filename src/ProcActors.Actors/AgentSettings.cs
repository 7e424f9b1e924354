using ProcActors.Actors.Persistence;
using ProcActors.Procfs;
using ProcActors.Tracking;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Actors;

/// <summary>What the actor pipeline needs to run; the host binds it from flags and config.</summary>
public sealed record AgentSettings
{
    public string NodeName { get; init; } = Environment.MachineName;
    public string ProcfsRoot { get; init; } = "/proc";
    public required IProcNamer Namer { get; init; }
    /// <summary>Time between scans; null scans only on demand (<see cref="ScanNow"/>).</summary>
    public TimeSpan? ScanInterval { get; init; } = TimeSpan.FromSeconds(5);
    public ScannerOptions Scanner { get; init; } = new();
    public bool Threads { get; init; } = true;
    public bool GatherSmaps { get; init; } = true;
    /// <summary>Bounds of the adaptive reads (<see cref="ProcfsOptions"/>); the default reads every file every scan.</summary>
    public ProcfsOptions Reads { get; init; } = new();
    public bool RemoveEmptyGroups { get; init; }
    /// <summary>Batches the channel holds before the scanner waits.</summary>
    public int ChannelCapacity { get; init; } = 8;
    public int BatchSize { get; init; } = 256;
    public int TicksPerSecond { get; init; } = ClockTicks.PerSecond;
    /// <summary>Snapshots of the node's counters; null keeps them in memory only.</summary>
    public SnapshotSettings? Snapshots { get; init; }
    /// <summary>Where processes come from; by default the procfs tree at <see cref="ProcfsRoot"/>.</summary>
    public Func<IProcSource>? SourceFactory { get; init; }
    /// <summary>Exit accounting chosen at start; null counts no exits (like process-exporter).</summary>
    public Exits.ExitSource? Exits { get; init; }

    public IProcSource CreateSource() =>
        SourceFactory?.Invoke() ?? new ProcfsReader(ProcfsRoot, Reads with { GatherSmaps = GatherSmaps, Threads = Threads });
}
