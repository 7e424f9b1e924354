using System.Diagnostics;
using Akka.Actor;
using ProcActors.LoadTests.Runner;
using ProcActors.Protocol;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>
/// soak: the update-latency scenario for a long time (default 2 minutes), with a sampler every few seconds taking
/// the live GC heap (after a forced full compacting collection, so that garbage does not hide or fake a leak), RSS
/// of this process, and the tracker sizes the agent reports. It fails on sustained growth: the median of the last
/// third of the samples against the median of the first third.
/// </summary>
public static class SoakScenario
{
    public const string Name = "soak";
    public const string LiveHeap = "live GC heap (after full GC)";
    public const string Rss = "RSS";
    public const string Tracked = "processes tracked (GetAgentStatus)";
    public const string Listed = "processes listed (GetAgentStatus)";
    public const string Groups = "groups (GetAgentStatus)";
    public const string Threads = "threads of this process";

    /// <summary>
    /// Looser than update-latency's (<see cref="UpdateLatencyScenario.TargetP99Ms"/>): the sampler's own forced full
    /// compacting collection (~15 ms at 10k: 25 of them paused 386 ms in 2 minutes) pauses whichever cycle it meets,
    /// and the soak is about growth, not latency. p99 ≤ 50 ms up to 10k processes, ≤ 250 ms at 50k, linear between
    /// and beyond. Measured at 10k with this round's gen-0 pacing: p99 8.38, 8.41, 8.65 ms.
    /// </summary>
    public static double TargetP99Ms(int processes) => processes <= 10_000 ? 50 : 50 + (processes - 10_000) * (200.0 / 40_000);

    public static LoadRunner Build(LoadTestOptions options)
    {
        var synthetic = UpdateLatencyScenario.Synthetic(options);
        var target = options.P99TargetMs ?? TargetP99Ms(synthetic.Processes);
        PipelineHost? host = null;
        var growth = options.MaxGrowthPercent;

        var scenario = UpdateLatencyScenario.Create(Name, synthetic, options, started: h => host = h)
            .WithLoadSimulations(Cli.Load(options, defaultRate: 2, defaultDuration: TimeSpan.FromMinutes(2)))
            .WithSampler(options.SampleInterval, async context =>
            {
                if (host is null) return;
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                context.Metrics.Sample(LiveHeap, GC.GetTotalMemory(forceFullCollection: false) / 1024.0 / 1024.0, "MiB");
                context.Metrics.Sample(Rss, ResidentBytes() / 1024.0 / 1024.0, "MiB");
                using var process = Process.GetCurrentProcess();
                context.Metrics.Sample(Threads, process.Threads.Count);
                var status = await host.Aggregator.Ask<AgentStatusResponse>(GetAgentStatus.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                context.Metrics.Sample(Tracked, status.ProcessesTracked);
                context.Metrics.Sample(Listed, status.ProcessesListed);
                context.Metrics.Sample(Groups, status.Groups);
            })
            .WithThresholds(UpdateLatencyScenario.LatencyThresholds(target, synthetic.Processes))
            .WithThresholds(
                GrowthThreshold(LiveHeap, growth),
                GrowthThreshold(Rss, growth * 2),
                GrowthThreshold(Tracked, 1),
                GrowthThreshold(Groups, 0));

        return LoadRunner.RegisterScenarios(scenario)
            .WithTestName(Name)
            .WithNote("table", UpdateLatencyScenario.Describe(synthetic))
            .WithNote("sampling", $"every {Format.Span(options.SampleInterval)}: forced full compacting GC, then live heap, RSS (/proc/self/statm), GetAgentStatus");
    }

    /// <summary>Growth in percent: median of the last third of the samples against the median of the first third.</summary>
    public static double GrowthPercent(IReadOnlyList<SeriesPoint> samples)
    {
        if (samples.Count < 3) return 0;
        var third = samples.Count / 3;
        static double Median(IEnumerable<SeriesPoint> points)
        {
            var sorted = points.Select(p => p.Value).Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }
        var first = Median(samples.Take(third));
        var last = Median(samples.Skip(samples.Count - third));
        return first <= 0 ? (last > 0 ? 100 : 0) : (last - first) * 100 / first;
    }

    /// <summary>Least-squares slope of the samples, per minute.</summary>
    public static double SlopePerMinute(IReadOnlyList<SeriesPoint> samples)
    {
        if (samples.Count < 2) return 0;
        var meanX = samples.Average(p => p.Seconds);
        var meanY = samples.Average(p => p.Value);
        var sxx = samples.Sum(p => (p.Seconds - meanX) * (p.Seconds - meanX));
        return sxx == 0 ? 0 : samples.Sum(p => (p.Seconds - meanX) * (p.Value - meanY)) / sxx * 60;
    }

    private static Threshold GrowthThreshold(string metric, double maxPercent) => Threshold.Create(
        $"{metric}: growth (last third vs first third of the samples) <= {Format.Num(maxPercent)} %",
        s => s.Metric(metric) is { Samples.Count: >= 3 } m && GrowthPercent(m.Samples) <= maxPercent,
        s => s.Metric(metric) is { } m
            ? $"{Format.Num(GrowthPercent(m.Samples))} % ({Format.Num(m.First)} → {Format.Num(m.Last)} {m.Unit}, slope {Format.Num(SlopePerMinute(m.Samples))} {m.Unit}/min, {m.Samples.Count} samples)"
            : "not sampled");

    private static long ResidentBytes()
    {
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }
}
