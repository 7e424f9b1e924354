using ProcActors.Actors.View;
using Prometheus;

namespace ProcActors.Host;

/// <summary>
/// The /metrics body. The node view's series (200 KB at 5,000 processes) change once per cycle, so their text is
/// rendered once per change and kept; scrapes copy the cached bytes. Only the agent's own process, runtime and
/// per-scan metrics, which move between scrapes, are rendered per scrape. Served as text format 0.0.4, as
/// process-exporter serves it.
/// A change is rendered ahead, off the scrape path, when the text rendered before it was scraped: with scrapes
/// faster than cycles no scrape waits for a render (one scrape a cycle paying tens of milliseconds was the p99 at
/// 10 scrapes a second), and with scrapes slower than cycles at most one render per scrape is done for nobody.
/// Nothing is rendered while nobody scrapes.
/// The live part is rendered again once it is older than its maximum age (a second in the agent): prometheus-net's
/// process and runtime collector re-reads /proc/self and every thread's stat on each collection, which was most of a
/// scrape's CPU at 10 scrapes a second. A live part older than that but within its stale age (5 s in the agent) is
/// served as it is while a fresh one renders off the scrape path, so that under frequent scrapes none waits for it
/// (one scrape in ten paid it, the slowest tenth at 10 scrapes a second); a scraper slower than that gets it rendered.
/// </summary>
public sealed class MetricsPage
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly CollectorRegistry _cycleRegistry;
    private readonly ExporterMetrics _cycleMetrics;
    private readonly CollectorRegistry _liveRegistry;
    private readonly SemaphoreSlim _rendering = new(1, 1);
    private readonly SemaphoreSlim _renderingLive = new(1, 1);
    private readonly TimeSpan _liveMaxAge;
    private readonly TimeSpan _liveStaleAge;
    private int _liveAheadQueued;
    private volatile Rendered? _cached;
    private volatile LiveText? _live;
    private int _aheadQueued;
    private int _renders;

    /// <param name="liveMaxAge">How old the live part may be when served; zero renders it on every scrape.</param>
    /// <param name="liveStaleAge">How old the live part may be when served while a fresh one renders in the background
    /// (at most this old, beyond <paramref name="liveMaxAge"/>); zero: never, a scrape renders it.</param>
    public MetricsPage(CollectorRegistry cycleRegistry, ExporterMetrics cycleMetrics, CollectorRegistry liveRegistry, TimeSpan liveMaxAge = default, TimeSpan liveStaleAge = default)
    {
        _liveMaxAge = liveMaxAge;
        _liveStaleAge = liveStaleAge;
        _cycleRegistry = cycleRegistry;
        _cycleMetrics = cycleMetrics;
        _liveRegistry = liveRegistry;
        cycleMetrics.TextChanged += RenderAhead;
    }

    /// <summary>How many times the cycle's text was rendered (for tests: once per change, not per scrape).</summary>
    public int Renders => Volatile.Read(ref _renders);

    public async Task WriteAsync(Stream output, CancellationToken cancellationToken)
    {
        var cycleText = await CycleTextAsync(cancellationToken).ConfigureAwait(false);
        cycleText.Served = true;
        await output.WriteAsync(cycleText.Bytes.AsMemory(0, cycleText.Length), cancellationToken).ConfigureAwait(false);
        if (_liveMaxAge <= TimeSpan.Zero)
        {
            await _liveRegistry.CollectAndExportAsTextAsync(output, cancellationToken).ConfigureAwait(false);
            return;
        }
        var live = await LiveTextAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(live.Bytes.AsMemory(0, live.Length), cancellationToken).ConfigureAwait(false);
    }

    private async Task<LiveText> LiveTextAsync(CancellationToken cancellationToken)
    {
        if (_live is { } fresh)
        {
            var age = fresh.Age;
            if (age < _liveMaxAge) return fresh;
            if (age < _liveStaleAge)
            {
                RenderLiveAhead();
                return fresh;
            }
        }
        return await RenderLiveAsync(cancellationToken).ConfigureAwait(false);
    }

    private void RenderLiveAhead()
    {
        if (Interlocked.Exchange(ref _liveAheadQueued, 1) == 1) return;
        ThreadPool.UnsafeQueueUserWorkItem(static page => _ = page.RenderLiveAheadAsync(), this, preferLocal: false);
    }

    private async Task RenderLiveAheadAsync()
    {
        try
        {
            await RenderLiveAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The text served stays the older one; once past its stale age a scrape renders it and sees the failure.
        }
        finally
        {
            Volatile.Write(ref _liveAheadQueued, 0);
        }
    }

    private async Task<LiveText> RenderLiveAsync(CancellationToken cancellationToken)
    {
        await _renderingLive.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_live is { } current && current.Age < _liveMaxAge) return current;
            var buffer = new MemoryStream(_live?.Length ?? 4096);
            await _liveRegistry.CollectAndExportAsTextAsync(buffer, cancellationToken).ConfigureAwait(false);
            return _live = new LiveText(buffer.GetBuffer(), (int)buffer.Length, System.Diagnostics.Stopwatch.GetTimestamp());
        }
        finally
        {
            _renderingLive.Release();
        }
    }

    /// <summary>On the publishing thread: queues the render of the new text if the current one was scraped.</summary>
    private void RenderAhead()
    {
        if (_cached is not { Served: true }) return;
        if (Interlocked.Exchange(ref _aheadQueued, 1) == 1) return;
        ThreadPool.UnsafeQueueUserWorkItem(static page => _ = page.RenderAheadAsync(), this, preferLocal: false);
    }

    private async Task RenderAheadAsync()
    {
        // Cleared first: a change during this render queues another, which finds the newest version.
        Volatile.Write(ref _aheadQueued, 0);
        try
        {
            await CycleTextAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The next scrape renders again and fails in front of the scraper, where it can be seen.
        }
    }

    private async Task<Rendered> CycleTextAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } fresh && fresh.Matches(_cycleMetrics.Version)) return fresh;
        await _rendering.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Taken again under the lock: concurrent scrapes after a change render once.
            var version = _cycleMetrics.Version;
            if (_cached is { } current && current.Matches(version)) return current;
            var buffer = new MemoryStream(_cached?.Length ?? 4096);
            await _cycleRegistry.CollectAndExportAsTextAsync(buffer, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _renders);
            return _cached = new Rendered(version.View, version.Observations, buffer.GetBuffer(), (int)buffer.Length);
        }
        finally
        {
            _rendering.Release();
        }
    }

    private sealed class LiveText(byte[] bytes, int length, long renderedAt)
    {
        public byte[] Bytes { get; } = bytes;

        public int Length { get; } = length;

        public TimeSpan Age => System.Diagnostics.Stopwatch.GetElapsedTime(renderedAt);
    }

    private sealed class Rendered(NodeView view, long observations, byte[] bytes, int length)
    {
        public byte[] Bytes { get; } = bytes;

        public int Length { get; } = length;

        /// <summary>A scrape took this text: the next change is worth rendering before the next scrape asks.</summary>
        public bool Served { get; set; }

        public bool Matches((NodeView View, long Observations) version) =>
            ReferenceEquals(view, version.View) && observations == version.Observations;
    }
}
