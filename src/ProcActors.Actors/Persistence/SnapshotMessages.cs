using Akka.Actor;

namespace ProcActors.Actors.Persistence;

/// <summary>Save the node's state now (graceful shutdown, operators, tests); answered with <see cref="SnapshotSaved"/>.</summary>
public sealed record SaveSnapshotNow : INoSerializationVerificationNeeded
{
    public static readonly SaveSnapshotNow Instance = new();
}

public sealed record SnapshotSaved(bool Ok, string? Error) : INoSerializationVerificationNeeded;

/// <summary>The scanner asks, before its first scan, what to continue from.</summary>
internal sealed record GetRestorePoint : INoSerializationVerificationNeeded
{
    public static readonly GetRestorePoint Instance = new();
}

/// <summary>The loaded snapshot, or null to start fresh.</summary>
internal sealed record RestorePoint(AgentSnapshot? Snapshot) : INoSerializationVerificationNeeded;

/// <summary>
/// To the router: the saved groups with their counters and process baselines. Before the first batch they create
/// the group actors; when the snapshot could only be loaded later (<see cref="Late"/>), each group merges them with
/// what it counted since, and the router answers the aggregator with <see cref="RestoreMerged"/>.
/// </summary>
internal sealed record RestoreGroups(
    IReadOnlyList<GroupSnapshot> Groups, IReadOnlyList<ProcessSnapshot> Processes, bool Late = false, ulong? SavedScanUptimeTicks = null)
    : INoSerializationVerificationNeeded;

/// <summary>To a group actor: its share of a snapshot loaded late.</summary>
internal sealed record MergeRestore(GroupRestore Restore, ulong? SavedScanUptimeTicks) : INoSerializationVerificationNeeded;

/// <summary>From the router: the group reports of cycles from <see cref="FromCycle"/> on include the late snapshot.</summary>
internal sealed record RestoreMerged(long FromCycle) : INoSerializationVerificationNeeded;
