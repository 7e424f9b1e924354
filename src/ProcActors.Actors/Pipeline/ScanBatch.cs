using ProcActors.Tracking;
using ProcActors.Tracking.Exits;

namespace ProcActors.Actors.Pipeline;

/// <summary>
/// A run of process samples of one scan cycle travelling from the scanner through the bounded channel. The last
/// batch of a cycle carries <see cref="End"/>. Sample arrays are pooled: the consumer returns them.
/// </summary>
public sealed class ScanBatch(long cycle, ProcSample[] samples, int count, CycleEnd? end)
{
    public long Cycle { get; } = cycle;

    public ProcSample[] Samples { get; } = samples;

    public int Count { get; } = count;

    public CycleEnd? End { get; } = end;

    /// <summary>
    /// Exits received before this cycle's scan began, routed before its samples: on the cycle's first batch, or (when
    /// records piled up between scans) alone in batches of the cycle to come, sent before its scan starts.
    /// </summary>
    /// <remarks>A pooled array: its first <see cref="ExitCount"/> entries; the router hands it back once routed.</remarks>
    public ProcExit[]? Exits { get; init; }

    public int ExitCount { get; init; }
}

/// <summary>How a scan cycle went, from the scanner's side.</summary>
/// <param name="ScanStartTimestamp">Stopwatch timestamp of the scan start: update latency is measured from it.</param>
/// <param name="SkippedIntervals">Scan ticks skipped since the previous scan started, because a scan was still running.</param>
public sealed record CycleEnd(long Cycle, long ScanStartTimestamp, DateTimeOffset ScanStartedAt, TimeSpan ScanDuration, ScanResult Result, long SkippedIntervals);
