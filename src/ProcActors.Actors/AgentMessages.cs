using Akka.Actor;
using Akka.Event;
using ProcActors.Actors.Pipeline;
using ProcActors.Tracking;
using ProcActors.Tracking.Exits;

namespace ProcActors.Actors;

/// <summary>Scan now rather than at the next tick (tests, -once-to-stdout-delay, operators).</summary>
public sealed record ScanNow
{
    public static readonly ScanNow Instance = new();
}

/// <summary>A reloaded grouping configuration: the scanner names every process with it from its next scan on.</summary>
public sealed record ReplaceNamer(Tracking.Grouping.IProcNamer Namer) : INoSerializationVerificationNeeded;

internal sealed record ScanTick : INoSerializationVerificationNeeded, IDeadLetterSuppression
{
    public static readonly ScanTick Instance = new();
}

internal sealed record ScanFinished(long Cycle, Exception? Failure) : INoSerializationVerificationNeeded;

/// <summary>A group's share of a cycle: the array and the samples' thread arrays are pooled; the group actor hands them back.</summary>
internal sealed record ObserveSamples(long Cycle, SampleShare Share) : INoSerializationVerificationNeeded;

/// <summary>A group's share of the exits delivered with a cycle: the first <paramref name="Count"/> of a pooled array the group actor hands back.</summary>
internal sealed record ObserveExits(long Cycle, ProcExit[] Exits, int Count) : INoSerializationVerificationNeeded;

internal sealed record EndCycle(long Cycle) : INoSerializationVerificationNeeded;

internal sealed record GroupEmptied(string Group, long Cycle) : INoSerializationVerificationNeeded;

internal sealed record StreamInit : INoSerializationVerificationNeeded
{
    public static readonly StreamInit Instance = new();
}

internal sealed record StreamAck : INoSerializationVerificationNeeded
{
    public static readonly StreamAck Instance = new();
}

internal sealed record StreamCompleted : INoSerializationVerificationNeeded
{
    public static readonly StreamCompleted Instance = new();
}

internal sealed record StreamFailed(Exception Cause) : INoSerializationVerificationNeeded;

/// <summary>The scan stream of one router incarnation ended; Cause is set when it was torn down rather than completed.</summary>
internal sealed record StreamTerminated(object Stream, Exception? Cause) : INoSerializationVerificationNeeded;
