using System.Diagnostics;

namespace ProcActors.LoadTests.Runner;

/// <summary>
/// Runs the load simulations of one phase (warm-up or run) of one scenario, one simulation after the other.
/// Open model (Inject): a dedicated scheduler thread starts call k at its intended time (sleeping with
/// clock_nanosleep and a 1 µs timer slack), hands it to the thread pool and never waits for it; a call started
/// late, because the scheduler or the pool was behind, is timed from its intended time all the same, so a stall
/// of the system under test shows up in full (no coordinated omission). Closed model (KeepConstant,
/// IterationsForConstant): each copy loops, timing each invocation from its own start.
/// </summary>
internal sealed class PhaseRunner(ScenarioProps scenario, ScenarioMetrics metrics, TextWriter logger, PhaseCollectors collectors, bool warmUp, CancellationToken cancellationToken)
{
    private long _invocations;
    private long _inFlight;

    public long InFlight => Interlocked.Read(ref _inFlight);

    public long Started => Interlocked.Read(ref _invocations);

    public async Task RunAsync(IReadOnlyList<LoadSimulation> simulations)
    {
        foreach (var simulation in simulations)
        {
            if (cancellationToken.IsCancellationRequested) break;
            switch (simulation)
            {
                case InjectSimulation inject:
                    await InjectAsync(inject).ConfigureAwait(false);
                    break;
                case KeepConstantSimulation constant:
                    var end = Stopwatch.GetTimestamp() + InjectSimulation.ToStopwatchTicks(constant.Duration);
                    await ConstantAsync(constant.Copies, () => Stopwatch.GetTimestamp() < end).ConfigureAwait(false);
                    break;
                case IterationsForConstantSimulation iterations:
                    var remaining = iterations.Iterations;
                    await ConstantAsync(iterations.Copies, () => Interlocked.Decrement(ref remaining) >= 0).ConfigureAwait(false);
                    break;
                default:
                    throw new NotSupportedException(simulation.GetType().Name);
            }
        }
    }

    private Task ConstantAsync(int copies, Func<bool> more)
    {
        var tasks = new Task[copies];
        for (var copy = 0; copy < copies; copy++)
        {
            var thread = copy;
            tasks[copy] = Task.Run(async () =>
            {
                while (!cancellationToken.IsCancellationRequested && more())
                {
                    Interlocked.Increment(ref _inFlight);
                    await InvokeAsync(thread, Stopwatch.GetTimestamp(), open: false).ConfigureAwait(false);
                }
            }, CancellationToken.None);
        }
        return Task.WhenAll(tasks);
    }

    private Task InjectAsync(InjectSimulation inject)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = new PendingCalls(done);
        var thread = new Thread(() =>
        {
            try
            {
                Schedule(inject, pending);
            }
            finally
            {
                pending.Release();
            }
        })
        {
            IsBackground = true,
            Name = $"inject {scenario.Name}",
            Priority = ThreadPriority.AboveNormal,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>The scheduler loop: sleep until call k is due, start it, repeat; catch up at once when behind.</summary>
    private void Schedule(InjectSimulation inject, PendingCalls pending)
    {
        Native.SetTimerSlack(1000);
        var total = inject.TotalCalls;
        var start = Stopwatch.GetTimestamp();
        var spinThreshold = Stopwatch.Frequency / 50_000; // 20 µs: closer than that, start now
        for (long k = 0; k < total && !cancellationToken.IsCancellationRequested; k++)
        {
            var due = start + inject.OffsetTicks(k);
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > spinThreshold) Native.SleepNanos((long)((Int128)wait * 1_000_000_000 / Stopwatch.Frequency));
            pending.Add();
            Interlocked.Increment(ref _inFlight);
            ThreadPool.UnsafeQueueUserWorkItem(new Call(this, k, due, pending), preferLocal: false);
        }
    }

    private async Task InvokeAsync(long thread, long intendedStart, bool open)
    {
        var started = Stopwatch.GetTimestamp();
        if (open) collectors.Lag.RecordValue(LatencyCollector.ToHistogramUnits(started - intendedStart));
        var invocation = Interlocked.Increment(ref _invocations);
        var context = new ScenarioContext(new ScenarioInfo(scenario.Name, thread), invocation, intendedStart, warmUp, metrics, logger, collectors, cancellationToken);
        Response response;
        try
        {
            response = await scenario.Run(context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            response = Response.Fail("exception", $"{e.GetType().Name}: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            Interlocked.Decrement(ref _inFlight);
            return;
        }
        var end = response.CompletedAt ?? Stopwatch.GetTimestamp();
        collectors.Global.Record(response, end - intendedStart);
        Interlocked.Decrement(ref _inFlight);
    }

    private sealed class Call(PhaseRunner runner, long k, long due, PendingCalls pending) : IThreadPoolWorkItem
    {
        public void Execute() => _ = RunAsync();

        private async Task RunAsync()
        {
            try
            {
                await runner.InvokeAsync(k, due, open: true).ConfigureAwait(false);
            }
            finally
            {
                pending.Release();
            }
        }
    }

    /// <summary>Counts the calls not yet finished, plus one for the scheduler itself; completes at zero.</summary>
    private sealed class PendingCalls(TaskCompletionSource done)
    {
        private long _count = 1;

        public void Add() => Interlocked.Increment(ref _count);

        public void Release()
        {
            if (Interlocked.Decrement(ref _count) == 0) done.TrySetResult();
        }
    }
}
