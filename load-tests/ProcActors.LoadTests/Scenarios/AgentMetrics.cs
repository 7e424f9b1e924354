using System.Globalization;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>The few series of an agent's /metrics a scenario compares between two scrapes.</summary>
internal sealed class AgentMetrics
{
    private readonly Dictionary<string, double> _series = new(StringComparer.Ordinal);
    private readonly double _scrapedAt = Environment.TickCount64 / 1000.0;

    public static async Task<AgentMetrics> ScrapeAsync(AgentServer agent, CancellationToken cancellationToken) =>
        Parse(await agent.GetAsync("/metrics", cancellationToken).ConfigureAwait(false));

    public static AgentMetrics Parse(string text)
    {
        var metrics = new AgentMetrics();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var space = line.LastIndexOf(' ');
            if (space <= 0 || !double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) continue;
            metrics._series[line[..space]] = value;
        }
        return metrics;
    }

    /// <summary>A series by its name and labels as exposed (e.g. <c>x_bucket{le="0.05"}</c>); 0 when absent.</summary>
    public double Value(string series) => _series.GetValueOrDefault(series);

    /// <summary>Upper bounds and cumulative counts of a histogram's buckets, +Inf last.</summary>
    public IEnumerable<(double Le, double Count)> Buckets(string histogram)
    {
        var prefix = histogram + "_bucket{le=\"";
        return _series.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(p => (Le: p.Key[prefix.Length..^2] == "+Inf" ? double.PositiveInfinity : double.Parse(p.Key[prefix.Length..^2], CultureInfo.InvariantCulture), Count: p.Value))
            .OrderBy(b => b.Le);
    }

    public readonly record struct PhaseFigures(double ScanCpuMs, double LatencyMeanMs, double LatencyP99Ms, double AgentCpuPerSecond);

    /// <summary>What happened between two scrapes: scan CPU per scan, update latency (mean, and the bucket holding the 99th percentile), the agent's CPU a second.</summary>
    public static PhaseFigures Phase(AgentMetrics start, AgentMetrics end)
    {
        const string latency = "procactors_update_latency_seconds";
        var scans = end.Value("procactors_scan_duration_seconds_count") - start.Value("procactors_scan_duration_seconds_count");
        var scanCpu = end.Value("procactors_scan_cpu_seconds_total") - start.Value("procactors_scan_cpu_seconds_total");
        var cycles = end.Value(latency + "_count") - start.Value(latency + "_count");
        var latencySum = end.Value(latency + "_sum") - start.Value(latency + "_sum");
        var before = start.Buckets(latency).ToDictionary(b => b.Le, b => b.Count);
        var p99 = double.NaN;
        foreach (var (le, count) in end.Buckets(latency))
        {
            if (count - before.GetValueOrDefault(le) >= 0.99 * cycles)
            {
                p99 = le * 1000;
                break;
            }
        }
        var seconds = end._scrapedAt - start._scrapedAt;
        var agentCpu = end.Value("process_cpu_seconds_total") - start.Value("process_cpu_seconds_total");
        return new PhaseFigures(scans > 0 ? scanCpu / scans * 1000 : double.NaN, cycles > 0 ? latencySum / cycles * 1000 : double.NaN, p99, agentCpu / seconds);
    }
}
