using ProcActors.Actors.View;
using Prometheus;

namespace ProcActors.Host;

/// <summary>
/// The /metrics body. The node view's series (200 KB at 5,000 processes) change once per cycle, so their text is
/// rendered by the first scrape after a change and kept; later scrapes copy the cached bytes. Only the agent's own
/// process and runtime metrics, which move between scrapes, are rendered per scrape. Nothing is rendered while
/// nobody scrapes. Served as text format 0.0.4, as process-exporter serves it.
/// </summary>
public sealed class MetricsPage(CollectorRegistry cycleRegistry, ExporterMetrics cycleMetrics, CollectorRegistry liveRegistry)
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly SemaphoreSlim _rendering = new(1, 1);
    private volatile Rendered? _cached;

    /// <summary>How many times the cycle's text was rendered (for tests: once per change, not per scrape).</summary>
    public int Renders { get; private set; }

    public async Task WriteAsync(Stream output, CancellationToken cancellationToken)
    {
        var cycleText = await CycleTextAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(cycleText.Bytes.AsMemory(0, cycleText.Length), cancellationToken).ConfigureAwait(false);
        await liveRegistry.CollectAndExportAsTextAsync(output, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Rendered> CycleTextAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } fresh && fresh.Matches(cycleMetrics.Version)) return fresh;
        await _rendering.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Taken again under the lock: concurrent scrapes after a change render once.
            var version = cycleMetrics.Version;
            if (_cached is { } current && current.Matches(version)) return current;
            var buffer = new MemoryStream(_cached?.Length ?? 4096);
            await cycleRegistry.CollectAndExportAsTextAsync(buffer, cancellationToken).ConfigureAwait(false);
            Renders++;
            return _cached = new Rendered(version.View, version.Observations, buffer.GetBuffer(), (int)buffer.Length);
        }
        finally
        {
            _rendering.Release();
        }
    }

    private sealed class Rendered(NodeView view, long observations, byte[] bytes, int length)
    {
        public byte[] Bytes { get; } = bytes;

        public int Length { get; } = length;

        public bool Matches((NodeView View, long Observations) version) =>
            ReferenceEquals(view, version.View) && observations == version.Observations;
    }
}
