namespace ProcActors.Actors.Persistence;

/// <summary>How the aggregator keeps its snapshots (the store itself is configured by the host).</summary>
/// <param name="PersistenceId">"aggregator-&lt;node&gt;"</param>
/// <param name="SnapshotEveryCycles">A snapshot every this many cycles (and at a graceful shutdown).</param>
public sealed record SnapshotSettings(string PersistenceId, int SnapshotEveryCycles = 12)
{
    /// <summary>
    /// How long the first scan waits for the saved snapshot. Past it the agent counts from zero and keeps trying
    /// to load; what it loads later is merged with what it counted meanwhile.
    /// </summary>
    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two attempts to load the saved snapshot (the first waits 1 s, then doubling).</summary>
    public TimeSpan MaxLoadRetryInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where unreadable snapshots are copied when set aside; null keeps them only in the store.</summary>
    public string? QuarantineDirectory { get; init; }

    /// <summary>
    /// Readies the store before each attempt to load (the SQLite file's folder and write-ahead logging); throws
    /// while the store cannot be used, e.g. a file locked by another process.
    /// </summary>
    public Action? PrepareStore { get; init; }

    public static SnapshotSettings For(string node, int snapshotEveryCycles) => new($"aggregator-{node}", snapshotEveryCycles);
}
