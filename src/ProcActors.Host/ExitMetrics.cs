using ProcActors.Actors.Exits;
using Prometheus;

namespace ProcActors.Host;

/// <summary>The exit accounting's own series: which mode runs, records received, records lost.</summary>
public static class ExitMetrics
{
    public static void Register(CollectorRegistry registry, ExitSource? source)
    {
        var f = Metrics.WithCustomRegistry(registry);
        var mode = f.CreateGauge("procactors_exit_accounting_mode", "1 for the exit accounting in use (chosen at start, see the log for why)", "mode");
        var records = f.CreateCounter("procactors_exit_records_total", "exit records received from the kernel (taskstats), one per exiting thread or process");
        var lost = f.CreateCounter("procactors_exit_records_lost_total", "exit records lost: kernel socket buffer overflows (ENOBUFS, each at least one record) and records dropped by a full queue");
        var teardown = f.CreateCounter("procactors_exit_teardown_cpu_seconds_total",
            "CPU of exits that no taskstats record holds (the exiting task's teardown, after its record), restored from the reaped-children CPU of tracked parents and added to their children's groups");
        var ahead = f.CreateCounter("procactors_exit_attribution_ahead_cpu_seconds_total",
            "CPU of the scan thread attributing exit records between scans when they pile up (not in procactors_scan_cpu_seconds_total)");
        foreach (var value in Enum.GetValues<ExitAccountingMode>())
        {
            if (value == ExitAccountingMode.Auto) continue;
            mode.WithLabels(value.ToString().ToLowerInvariant()).Set(value == (source?.Mode ?? ExitAccountingMode.Off) ? 1 : 0);
        }
        if (source is null) return;
        registry.AddBeforeCollectCallback(() =>
        {
            records.IncTo(source.Records);
            lost.IncTo(source.Lost);
            teardown.IncTo(source.TeardownNanos / 1e9);
            ahead.IncTo(source.AheadCpu.TotalSeconds);
        });
    }
}
