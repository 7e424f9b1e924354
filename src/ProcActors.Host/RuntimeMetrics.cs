using Prometheus;

namespace ProcActors.Host;

/// <summary>
/// The runtime's own series on the live part of /metrics: prometheus-net's (collections, heap, threads, CPU) and the
/// time the runtime paused the agent's threads for garbage collection, which none of those shows: a pause stalls scans,
/// the pipeline, scrapes and Ask replies alike, so an operator seeing a slow scrape or reply can tell whether it was one.
/// </summary>
public static class RuntimeMetrics
{
    public static void Register(CollectorRegistry live)
    {
        DotNetStats.Register(live);
        var pauses = Metrics.WithCustomRegistry(live).CreateCounter("dotnet_gc_pause_seconds_total",
            "time the runtime paused the agent's threads for garbage collection (GC.GetTotalPauseDuration)");
        live.AddBeforeCollectCallback(() => pauses.IncTo(GC.GetTotalPauseDuration().TotalSeconds));
    }
}
