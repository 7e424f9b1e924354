using ProcActors.LoadTests.Scenarios;

namespace ProcActors.LoadTests.Tests;

/// <summary>The churn scenario's figures from two scrapes of an agent's /metrics, and the spawner's output.</summary>
public sealed class ChurnFiguresTests
{
    private static AgentMetrics Scrape(double scans, double scanCpu, double cycles, double latencySum, double[] buckets) =>
        AgentMetrics.Parse($"""
            # HELP procactors_scan_cpu_seconds_total x
            procactors_scan_cpu_seconds_total {scanCpu}
            procactors_scan_duration_seconds_count {scans}
            procactors_update_latency_seconds_sum {latencySum}
            procactors_update_latency_seconds_count {cycles}
            procactors_update_latency_seconds_bucket{"{"}le="0.02"{"}"} {buckets[0]}
            procactors_update_latency_seconds_bucket{"{"}le="0.05"{"}"} {buckets[1]}
            procactors_update_latency_seconds_bucket{"{"}le="+Inf"{"}"} {buckets[2]}
            process_cpu_seconds_total 2
            """);

    [Fact]
    public void A_phase_is_what_happened_between_two_scrapes()
    {
        var start = Scrape(scans: 10, scanCpu: 0.050, cycles: 10, latencySum: 0.1, [10, 10, 10]);
        var end = Scrape(scans: 110, scanCpu: 0.550, cycles: 110, latencySum: 2.1, [60, 108, 110]);

        var phase = AgentMetrics.Phase(start, end);

        Assert.Equal(5.0, phase.ScanCpuMs, 6);
        Assert.Equal(20.0, phase.LatencyMeanMs, 6);
        // 98 of the phase's 100 cycles within 50 ms: the 99th percentile lies in the +Inf bucket.
        Assert.Equal(double.PositiveInfinity, phase.LatencyP99Ms);
        var within = AgentMetrics.Phase(start, Scrape(scans: 110, scanCpu: 0.550, cycles: 110, latencySum: 2.1, [60, 109, 110]));
        Assert.Equal(50.0, within.LatencyP99Ms, 6);
    }

    [Fact]
    public void Reads_the_spawner_s_report()
    {
        var result = ChurnScenario.ParseSpawner("exits 299996\nseconds 30.008\nchildren_cpu_us 13403402\nworkers_cpu_us 9242948\nself_cpu_us 1200\n");
        Assert.Equal(new ChurnScenario.SpawnerResult(299_996, 30.008, 13_403_402, 9_242_948, 1_200), result);
    }
}
