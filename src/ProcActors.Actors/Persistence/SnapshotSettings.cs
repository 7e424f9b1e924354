namespace ProcActors.Actors.Persistence;

/// <summary>How the aggregator keeps its snapshots (the store itself is configured by the host).</summary>
/// <param name="PersistenceId">"aggregator-&lt;node&gt;"</param>
/// <param name="SnapshotEveryCycles">A snapshot every this many cycles (and at a graceful shutdown).</param>
public sealed record SnapshotSettings(string PersistenceId, int SnapshotEveryCycles = 12)
{
    /// <summary>How long a start waits for the saved snapshot before going on with fresh counters.</summary>
    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public static SnapshotSettings For(string node, int snapshotEveryCycles) => new($"aggregator-{node}", snapshotEveryCycles);
}
