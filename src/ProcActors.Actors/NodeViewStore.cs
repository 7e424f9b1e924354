using ProcActors.Actors.View;

namespace ProcActors.Actors;

/// <summary>
/// The latest node view, published by the aggregator and read without locks by /metrics: a scrape is served from
/// memory and never scans or asks an actor. The member lists of a view are recycled (<see cref="MemberList"/>):
/// those of a view replaced by a new set of groups go back to their pools when the next new set is published, so a
/// view stays whole for a cycle after it stopped being current. Publish from one thread at a time.
/// </summary>
public sealed class NodeViewStore(NodeView initial)
{
    private volatile NodeView _current = initial;
    private IReadOnlyDictionary<string, GroupView>? _retired;
    private long _generation;

    public NodeView Current => _current;

    /// <summary>How many times a new set of groups was published: member lists are recycled two generations on.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Raised after each publish, on the aggregator's thread: keep handlers short.</summary>
    public event Action<NodeView>? Published;

    public void Publish(NodeView view)
    {
        var previous = _current;
        _current = view;
        if (!ReferenceEquals(previous.Groups, view.Groups))
        {
            // Counted before any list is handed back: a reader that sees the count unchanged read lists still whole.
            Interlocked.Increment(ref _generation);
            if (_retired is { } retired) Recycle(retired, view.Groups);
            _retired = previous.Groups;
        }
        Published?.Invoke(view);
    }

    /// <summary>
    /// Copies something out of the current view on a thread other than the publisher's (a restarted actor reading its
    /// group back): retried in the rare case that the view's member lists were recycled while it was being read.
    /// </summary>
    public T ReadConsistent<T>(Func<NodeView, T> read)
    {
        while (true)
        {
            var generation = Generation;
            var result = read(_current);
            if (Generation - generation < 2) return result;
        }
    }

    private static void Recycle(IReadOnlyDictionary<string, GroupView> retired, IReadOnlyDictionary<string, GroupView> current)
    {
        foreach (var group in retired.Values)
        {
            // A list still served (never so today: every cycle brings new lists) must not be filled again.
            if (group.Members is not MemberList list) continue;
            if (current.TryGetValue(group.Stats.Name, out var now) && ReferenceEquals(now.Members, list)) continue;
            list.Release();
        }
    }

    /// <summary>Waits until a view of at least the given cycle is published.</summary>
    public async Task<NodeView> WaitForCycleAsync(long cycle, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<NodeView>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnPublished(NodeView view)
        {
            if (view.Cycle >= cycle) done.TrySetResult(view);
        }
        Published += OnPublished;
        try
        {
            if (_current.Cycle >= cycle) return _current;
            await using var registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
            return await done.Task.ConfigureAwait(false);
        }
        finally
        {
            Published -= OnPublished;
        }
    }
}

/// <summary>Where the pipeline reports its timings (the host records them as Prometheus histograms).</summary>
public interface IAgentTelemetry
{
    /// <summary>A scan ended: its wall time, and the CPU time its thread spent (the agent's own cost per scan).</summary>
    void ScanCompleted(TimeSpan duration, TimeSpan cpu);

    void ViewUpdated(TimeSpan latency);
}
