namespace ProcActors.Tracking.Exits;

/// <summary>
/// Sits between the scanner and the real sink for one scan, seeing every sample, and after it appends what the
/// parents' reaped-children CPU adds: the children fallback (<see cref="ReapedChildrenSink"/>) or, with taskstats, the
/// teardown no record holds (<see cref="ExitTeardownSink"/>).
/// </summary>
public interface IReaperSink : IProcSink
{
    void BeginScan(IProcSink inner);

    /// <summary>After the scan (a listing that failed sees nobody go, so pass <paramref name="listed"/> false).</summary>
    /// <param name="registry">The processes the scan listed, ignored ones included.</param>
    void EndScan(bool listed, ProcRegistry registry, List<ProcExit> into);
}
