namespace ProcActors.Procfs;

/// <summary>
/// A source of processes for one scan, read lazily in the order the tracker needs: the identity first, then the
/// changing metrics, and the static facts only for a process not seen before. Not thread-safe; values returned
/// by reference (thread arrays) are valid until the next call.
/// </summary>
public interface IProcSource
{
    /// <summary>When the machine booted, if the source knows: a process identity is only meaningful within one boot.</summary>
    long? BootTimeSeconds { get; }

    /// <summary>Starts a scan. False (with a reason) when the processes cannot be listed at all.</summary>
    bool BeginScan(out ScanStart start, out string? error);

    /// <summary>Advances to the next process. <see cref="CurrentStatus"/> says whether its identity could be read.</summary>
    bool MoveNext();

    ProcId Current { get; }

    /// <summary>Ok, or Vanished/PermissionDenied/Failed when even the identity of the process could not be read.</summary>
    ReadStatus CurrentStatus { get; }

    /// <summary>Reads what changes. Partial means some secondary files failed; the rest is valid.</summary>
    ReadStatus ReadMetrics(ref ProcMetrics metrics);

    /// <summary>Reads the facts that do not change while the process lives.</summary>
    ReadStatus ReadStatic(out ProcStatic? facts);
}

/// <summary>What a scan knows as it starts: the clock in the unit of process start times, when the source has one.</summary>
public readonly record struct ScanStart(ulong? UptimeTicks);

/// <summary>A source whose reads may hang (a real or fixture procfs) and can be bounded by a <see cref="ReadGuard"/>.</summary>
public interface IGuardedProcSource : IProcSource
{
    /// <summary>Null when reads are not bounded.</summary>
    ReadGuard? Guard { get; }
}
