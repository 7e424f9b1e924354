namespace ProcActors.Actors.Pipeline;

/// <summary>
/// One long-lived thread that runs the scans, one at a time. A scan blocks on the channel when the consumers fall
/// behind, so it must not hold a pool thread; a new thread per scan (every 5 s for years) costs a clone, a stack
/// and the runtime's thread setup each time, for nothing. Between scans the thread sleeps in a monitor wait, which
/// does not spin.
/// </summary>
public sealed class ScanThread : IDisposable
{
    private readonly object _gate = new();
    private readonly Thread _thread;
    private Action? _work;
    private TaskCompletionSource? _done;
    private bool _stopping;

    public ScanThread(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>The managed id of the thread the work runs on (tests).</summary>
    public int ManagedThreadId => _thread.ManagedThreadId;

    /// <summary>Runs <paramref name="work"/> on the thread; completes (or faults) when it ends. One at a time.</summary>
    public Task Run(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (_work is not null) throw new InvalidOperationException("A scan is already waiting to run");
            _work = work;
            _done = done;
            Monitor.Pulse(_gate);
        }
        return done.Task;
    }

    /// <summary>The thread ends after the work it is running, if any; work not yet started is cancelled.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            _done?.TrySetCanceled();
            _work = null;
            _done = null;
            Monitor.Pulse(_gate);
        }
    }

    private void Loop()
    {
        while (true)
        {
            Action work;
            TaskCompletionSource done;
            lock (_gate)
            {
                while (_work is null && !_stopping) Monitor.Wait(_gate);
                if (_stopping) return;
                work = _work!;
                done = _done!;
                _work = null;
                _done = null;
            }
            try
            {
                work();
                done.TrySetResult();
            }
#pragma warning disable CA1031 // The scan's failure goes to its caller, and the thread serves the next scan.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.TrySetException(ex);
            }
        }
    }
}
