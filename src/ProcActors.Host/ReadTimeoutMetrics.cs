using ProcActors.Procfs;
using Prometheus;

namespace ProcActors.Host;

/// <summary>The read bound's own series: reads that hung past --read-timeout, and those still hung.</summary>
public static class ReadTimeoutMetrics
{
    public static void Register(CollectorRegistry registry, ReadTimeouts? timeouts)
    {
        var f = Metrics.WithCustomRegistry(registry);
        var timedOut = f.CreateCounter("procactors_read_timeouts_total", "reads of /proc that hung past --read-timeout (a process in D state); the process is kept as it was and skipped until the read returns");
        var stuck = f.CreateGauge("procactors_stuck_reads", "hung reads of /proc left behind on their threads that have not returned yet (at most --max-stuck-reads)");
        if (timeouts is null) return;
        registry.AddBeforeCollectCallback(() =>
        {
            timedOut.IncTo(timeouts.TimedOut);
            stuck.Set(timeouts.Stuck);
        });
    }
}
