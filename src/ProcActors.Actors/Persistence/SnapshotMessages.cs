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

/// <summary>To the router: the group actors to create before the first batch, with their counters and baselines.</summary>
internal sealed record RestoreGroups(IReadOnlyList<GroupSnapshot> Groups, IReadOnlyList<ProcessSnapshot> Processes) : INoSerializationVerificationNeeded;
