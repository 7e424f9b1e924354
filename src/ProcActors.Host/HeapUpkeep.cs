using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ProcActors.Actors;
using ProcActors.Actors.View;
using ProcActors.Procfs;
using Prometheus;

namespace ProcActors.Host;

/// <summary>
/// When to give the heap's free memory back to the system. The garbage the agent makes in its first cycles (every
/// process's static facts read at once, a snapshot restored, start-up itself) is promoted with what lives on, and with
/// the few bytes a steady cycle allocates no full collection ever comes to free it: a 10,000-process agent kept ~20 MB
/// of it resident for good. One compacting collection that returns its free regions, once the start-up is behind, and
/// again after a burst of processes has gone (they are tracked no more: the memory that held them is free), bounded
/// so that it never becomes a periodic pause.
/// </summary>
/// <param name="afterCycle">The first trim: once this cycle is published (the start-up's reads and restore are behind).</param>
/// <param name="minPeak">After a burst only: the peak of tracked processes since the last trim must reach this (a few
/// hundred processes hold too little memory for a pause).</param>
/// <param name="minInterval">After a burst only: at least this long since the last trim.</param>
public sealed class HeapTrimPolicy(long afterCycle = 3, int minPeak = 1_000, TimeSpan? minInterval = null)
{
    private readonly TimeSpan _minInterval = minInterval ?? TimeSpan.FromMinutes(10);
    private bool _trimmedOnce;
    private TimeSpan _lastTrim;
    private int _peak;

    /// <summary>Called with each published view (one thread at a time); true: trim now.</summary>
    /// <param name="elapsed">A monotonic clock (time since start).</param>
    public bool ShouldTrim(long cycle, int processesTracked, TimeSpan elapsed)
    {
        _peak = Math.Max(_peak, processesTracked);
        if (!_trimmedOnce)
        {
            if (cycle < afterCycle) return false;
            _trimmedOnce = true;
        }
        else if (_peak < minPeak || processesTracked > _peak / 2 || elapsed - _lastTrim < _minInterval)
        {
            return false;
        }
        _lastTrim = elapsed;
        _peak = processesTracked;
        return true;
    }
}

/// <summary>
/// Applies <see cref="HeapTrimPolicy"/> and <see cref="CollectionPacer"/> to the views as they are published, one
/// collection at a time, on a pool thread, so that the thread publishing goes on:
/// - a trim: a blocking, compacting collection that decommits what it frees (<see cref="GCCollectionMode.Aggressive"/>),
///   counted (<c>procactors_heap_trims_total</c>) and logged with the memory it gave back and its pause; the first one
///   also releases the start-up's pages of code and read-only data (<see cref="OwnCodePages.Release"/>);
/// - otherwise, when the pacer says so, a gen-0 collection between two cycles (<c>procactors_gc_paced_total</c>; the
///   runtime's own, <c>procactors_gc_unpaced_total</c>).
/// </summary>
public sealed class HeapUpkeep : IHostedService
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly NodeViewStore _store;
    private readonly HeapTrimPolicy _trims;
    private readonly CollectionPacer _pacer;
    private readonly ILogger<HeapUpkeep> _logger;
    private readonly Counter _trimmed;
    private readonly Counter _paced;
    private readonly Counter _unpaced;
    private int _running;
    private bool _pagesReleased;

    public HeapUpkeep(NodeViewStore store, HeapTrimPolicy trims, CollectionPacer pacer, CollectorRegistry registry, ILogger<HeapUpkeep> logger)
    {
        _store = store;
        _trims = trims;
        _pacer = pacer;
        _logger = logger;
        var metrics = Metrics.WithCustomRegistry(registry);
        _trimmed = metrics.CreateCounter("procactors_heap_trims_total",
            "compacting collections that gave the heap's free memory back to the system (after start-up and after a burst of processes)");
        _paced = metrics.CreateCounter("procactors_gc_paced_total",
            "gen-0 collections the agent ran between two cycles, so that the runtime's own do not pause a scan, the pipeline or a scrape");
        _unpaced = metrics.CreateCounter("procactors_gc_unpaced_total",
            "collections the runtime ran on its own, seen between two published cycles (a gen-0 or gen-1 one that came before the pacing threshold lowers it)");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _store.Published += OnPublished;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _store.Published -= OnPublished;
        return Task.CompletedTask;
    }

    /// <summary>On the publishing thread: decides, and leaves the collection to a pool thread.</summary>
    private void OnPublished(NodeView view)
    {
        // While a collection runs, the pacer and policy belong to its thread; the flag's write at its end publishes them.
        if (Volatile.Read(ref _running) != 0) return;
        if (_trims.ShouldTrim(view.Cycle, view.Counters.ProcessesTracked, Stopwatch.GetElapsedTime(_start)))
        {
            Volatile.Write(ref _running, 1);
            _ = Task.Run(Trim);
            return;
        }
        var unpacedBefore = _pacer.Unpaced;
        var due = _pacer.ShouldCollect(GC.CollectionCount(0), GC.CollectionCount(GC.MaxGeneration), GC.GetTotalAllocatedBytes(precise: false));
        _unpaced.Inc(_pacer.Unpaced - unpacedBefore);
        if (!due) return;
        Volatile.Write(ref _running, 1);
        _ = Task.Run(Pace);
    }

    private void Pace()
    {
        try
        {
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            _pacer.Collected(GC.CollectionCount(0), GC.CollectionCount(GC.MaxGeneration), GC.GetTotalAllocatedBytes(precise: false));
            _paced.Inc();
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private void Trim()
    {
        try
        {
            var before = Environment.WorkingSet;
            var pausedBefore = GC.GetTotalPauseDuration();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            _pacer.Collected(GC.CollectionCount(0), GC.CollectionCount(GC.MaxGeneration), GC.GetTotalAllocatedBytes(precise: false), paced: false);
            _trimmed.Inc();
            _logger.LogInformation("Heap trimmed: resident {Before:F1} -> {After:F1} MB, heap {Heap:F1} MB, paused {Pause:F0} ms",
                before / 1048576.0, Environment.WorkingSet / 1048576.0, GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes / 1048576.0,
                (GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds);
            if (!_pagesReleased)
            {
                _pagesReleased = true;
                ReleaseStartupPages();
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>Once, with the first trim: the code and read-only data only the start-up touched (<see cref="OwnCodePages"/>).</summary>
    private void ReleaseStartupPages()
    {
        var release = OwnCodePages.Release();
        if (release.Failures > 0)
        {
            _logger.LogInformation("Start-up pages not all released: {Failures} of {Mappings} mappings refused (errno {Errno}; MADV_PAGEOUT needs Linux 5.4)",
                release.Failures, release.Mappings, release.FirstErrno);
        }
        _logger.LogInformation("Start-up pages released: resident file pages {Before:F1} -> {After:F1} MB over {Mappings} read-only mappings",
            release.ResidentFileBytesBefore / 1048576.0, release.ResidentFileBytesAfter / 1048576.0, release.Mappings);
    }
}

public static class HeapUpkeepHosting
{
    /// <summary>
    /// The agent's heap upkeep over the views of <paramref name="store"/> (the host's, and the load tests' pipeline so
    /// that they measure what the agent runs); its counters on <paramref name="registry"/>.
    /// </summary>
    public static IServiceCollection AddHeapUpkeep(this IServiceCollection services, NodeViewStore store, CollectorRegistry registry) =>
        services.AddHostedService(sp => new HeapUpkeep(store, new HeapTrimPolicy(), new CollectionPacer(), registry,
            sp.GetService<ILogger<HeapUpkeep>>() ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<HeapUpkeep>.Instance));
}
