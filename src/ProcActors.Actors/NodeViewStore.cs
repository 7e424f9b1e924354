using ProcActors.Actors.View;

namespace ProcActors.Actors;

/// <summary>
/// The latest node view, published by the aggregator and read without locks by /metrics: a scrape is served from
/// memory and never scans or asks an actor.
/// </summary>
public sealed class NodeViewStore(NodeView initial)
{
    private volatile NodeView _current = initial;

    public NodeView Current => _current;

    /// <summary>Raised after each publish, on the aggregator's thread: keep handlers short.</summary>
    public event Action<NodeView>? Published;

    public void Publish(NodeView view)
    {
        _current = view;
        Published?.Invoke(view);
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
