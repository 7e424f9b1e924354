namespace ProcActors.LoadTests.Runner;

/// <summary>Latency of a set of responses, in milliseconds, from an HdrHistogram (3 significant digits).</summary>
public sealed record LatencyStats(
    long Count, double MinMs, double MeanMs, double MaxMs, double StdDev, double Percent50, double Percent75, double Percent95, double Percent99)
{
    public static LatencyStats Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0);
}

public sealed record DataTransferStats(long MinBytes, double MeanBytes, long MaxBytes, long AllBytes)
{
    public static DataTransferStats Empty { get; } = new(0, 0, 0, 0);
}

public sealed record StatusCodeStats(string StatusCode, bool IsError, long Count, string? Message);

/// <param name="Percent">Share of all requests of the scenario or step, 0–100.</param>
public sealed record RequestStats(long Count, double RPS, double Percent);

/// <summary>The ok or the fail half of a scenario's or step's stats (NBomber's MeasurementStats).</summary>
public sealed record MeasurementStats(RequestStats Request, LatencyStats Latency, DataTransferStats DataTransfer, IReadOnlyList<StatusCodeStats> StatusCodes);

public sealed record StepStats(string StepName, MeasurementStats Ok, MeasurementStats Fail)
{
    public long AllRequestCount => Ok.Request.Count + Fail.Request.Count;
}

public enum MetricKind
{
    /// <summary>Many values, summarised by percentiles (e.g. CPU per scan).</summary>
    Histogram,
    /// <summary>Values over time (e.g. RSS every 5 s): plotted, and summarised by first/last/min/max.</summary>
    Series,
    /// <summary>One value (e.g. a ratio computed at the end).</summary>
    Value,
}

/// <summary>A custom metric of a scenario.</summary>
public sealed record MetricStats(
    string Name, string Unit, MetricKind Kind, long Count, double Min, double Mean, double Max,
    double Percent50, double Percent75, double Percent95, double Percent99, double First, double Last,
    IReadOnlyList<SeriesPoint> Samples);

public readonly record struct SeriesPoint(double Seconds, double Value);

/// <summary>One second (or one progress interval) of the run phase.</summary>
public sealed record TimelinePoint(double Seconds, long Ok, long Fail, double Percent50, double Percent99, double MaxMs, double MeanMs);

public sealed record ThresholdResult(string Scenario, string Description, bool Passed, string? Actual, string? Error);

public sealed record ScenarioStats
{
    public required string ScenarioName { get; init; }

    /// <summary>Length of the run phase: planned for time-based simulations, measured for iteration-based ones.</summary>
    public required TimeSpan Duration { get; init; }

    public required IReadOnlyList<LoadSimulation> LoadSimulations { get; init; }

    public required MeasurementStats Ok { get; init; }

    public required MeasurementStats Fail { get; init; }

    /// <summary>The invocation as a whole is the step "global information"; Step.Run adds one entry per step name.</summary>
    public required IReadOnlyList<StepStats> StepStats { get; init; }

    /// <summary>How late the runner started open-model calls against their intended time (its own precision).</summary>
    public required LatencyStats SchedulerLag { get; init; }

    /// <summary>CPU time of this whole process during the run phase.</summary>
    public required CpuTime ProcessCpu { get; init; }

    /// <summary>What the .NET runtime of this process did during the run phase.</summary>
    public required RuntimeStats Runtime { get; init; }

    public required IReadOnlyList<MetricStats> Metrics { get; init; }

    public required IReadOnlyList<TimelinePoint> Timeline { get; init; }

    public IReadOnlyList<ThresholdResult> Thresholds { get; init; } = [];

    /// <summary>Set when init, the run or clean threw: the scenario counts as failed.</summary>
    public string? Error { get; init; }

    public long AllRequestCount => Ok.Request.Count + Fail.Request.Count;

    public MetricStats? Metric(string name) => Metrics.FirstOrDefault(m => m.Name == name);

    public StepStats? Step(string name) => StepStats.FirstOrDefault(s => s.StepName == name);
}

/// <summary>GC activity of this process over the run phase.</summary>
public sealed record RuntimeStats(int Gen0Collections, int Gen1Collections, int Gen2Collections, TimeSpan GcPause, long AllocatedBytes, long WorkingSetBytes)
{
    public static RuntimeStats Empty { get; } = new(0, 0, 0, TimeSpan.Zero, 0, 0);

    internal static (int, int, int, TimeSpan, long) Snapshot() =>
        (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(precise: false));

    internal static RuntimeStats Since((int G0, int G1, int G2, TimeSpan Pause, long Allocated) before)
    {
        var now = Snapshot();
        return new RuntimeStats(now.Item1 - before.G0, now.Item2 - before.G1, now.Item3 - before.G2, now.Item4 - before.Pause, now.Item5 - before.Allocated,
            Environment.WorkingSet);
    }
}

public sealed record RunStats(
    string TestSuite, string TestName, string SessionId, DateTimeOffset StartedAt, TimeSpan Duration,
    IReadOnlyList<ScenarioStats> Scenarios, IReadOnlyList<ThresholdResult> RunThresholds, string Machine)
{
    public IEnumerable<ThresholdResult> AllThresholds => Scenarios.SelectMany(s => s.Thresholds).Concat(RunThresholds);

    public bool Passed => Scenarios.All(s => s.Error is null) && AllThresholds.All(t => t.Passed);
}

/// <summary>The outcome: exit code 0 only when every scenario ran and every threshold passed.</summary>
public sealed record RunResult(int ExitCode, RunStats Stats, IReadOnlyList<string> ReportFiles);
