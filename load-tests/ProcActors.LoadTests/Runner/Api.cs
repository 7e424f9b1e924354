namespace ProcActors.LoadTests.Runner;

// The scenario API, shaped after NBomber's (Scenario.Create, Response.Ok/Fail, Simulation.Inject/KeepConstant,
// Step.Run, Threshold.Create, a runner with report formats) so that anyone who knows NBomber reads these load tests
// at once. Written here from NBomber's documented concepts: NBomber itself is not on this machine's package source.

/// <summary>What one invocation of a scenario (or one step) returns.</summary>
public sealed record Response
{
    public bool IsError { get; init; }

    public string StatusCode { get; init; } = "OK";

    /// <summary>Bytes received or produced: the report's data transfer columns.</summary>
    public long SizeBytes { get; init; }

    public string? Message { get; init; }

    /// <summary>
    /// Stopwatch timestamp at which the work was really done, when that is earlier than the moment the scenario
    /// code returned (e.g. the instant a node view was published, before the waiting task was scheduled). The
    /// latency is measured up to here instead of up to the return.
    /// </summary>
    public long? CompletedAt { get; init; }

    public static Response Ok(string statusCode = "OK", long sizeBytes = 0, string? message = null, long? completedAt = null) =>
        new() { StatusCode = statusCode, SizeBytes = sizeBytes, Message = message, CompletedAt = completedAt };

    public static Response Fail(string statusCode = "FAIL", string? message = null, long sizeBytes = 0, long? completedAt = null) =>
        new() { IsError = true, StatusCode = statusCode, SizeBytes = sizeBytes, Message = message, CompletedAt = completedAt };
}

/// <summary>Which scenario copy runs an invocation.</summary>
/// <param name="ThreadNumber">The copy (KeepConstant) or the call index within its simulation (Inject).</param>
public sealed record ScenarioInfo(string ScenarioName, long ThreadNumber);

/// <summary>What a scenario invocation knows about itself.</summary>
public interface IScenarioContext
{
    ScenarioInfo ScenarioInfo { get; }

    /// <summary>Counts the invocations of this scenario in this phase (warm-up and run each start at 1).</summary>
    long InvocationNumber { get; }

    /// <summary>
    /// Stopwatch timestamp at which the load simulation meant this invocation to start. For an open model (Inject)
    /// the latency is measured from here, so a late start counts against the system (no coordinated omission).
    /// </summary>
    long IntendedStart { get; }

    bool IsWarmUp { get; }

    ScenarioMetrics Metrics { get; }

    TextWriter Logger { get; }

    CancellationToken CancellationToken { get; }
}

/// <summary>What a scenario's init and clean see.</summary>
public interface IScenarioInitContext
{
    string ScenarioName { get; }

    ScenarioMetrics Metrics { get; }

    TextWriter Logger { get; }

    CancellationToken CancellationToken { get; }
}

/// <summary>A load simulation: how many invocations start when (NBomber's LoadSimulation).</summary>
public abstract record LoadSimulation
{
    /// <summary>Planned length; null when it ends after a number of iterations instead.</summary>
    public abstract TimeSpan? During { get; }

    /// <summary>Open model: it keeps the arrival rate whatever the latency.</summary>
    public abstract bool IsOpenModel { get; }

    /// <summary>The same shape (rate or copies) for another length: what the warm-up runs.</summary>
    internal abstract LoadSimulation For(TimeSpan during);

    public abstract string Describe();
}

/// <summary>
/// Open model: <see cref="Rate"/> invocations per <see cref="Interval"/> for <see cref="During"/>, each run once
/// and not waiting for the others. The calls of an interval are spread evenly across it (call k starts at
/// k × Interval / Rate; NBomber starts an interval's calls together at its beginning: Inject(1, 100 µs, ...) is
/// the same in both).
/// </summary>
public sealed record InjectSimulation(int Rate, TimeSpan Interval, TimeSpan Duration) : LoadSimulation
{
    public override TimeSpan? During => Duration;

    public override bool IsOpenModel => true;

    /// <summary>Calls started in all: Rate per whole or partial interval fraction, floored.</summary>
    public long TotalCalls => (long)Math.Floor(Rate * ((double)Duration.Ticks / Interval.Ticks) + 1e-9);

    /// <summary>Offset of call k from the simulation's start, in Stopwatch ticks.</summary>
    public long OffsetTicks(long k) => (long)((Int128)k * ToStopwatchTicks(Interval) / Rate);

    internal override LoadSimulation For(TimeSpan during) => this with { Duration = during };

    public override string Describe() => $"inject, rate: {Rate}, interval: {Format.Span(Interval)}, during: {Format.Span(Duration)}";

    internal static long ToStopwatchTicks(TimeSpan span) => (long)((Int128)span.Ticks * System.Diagnostics.Stopwatch.Frequency / TimeSpan.TicksPerSecond);
}

/// <summary>Closed model: <see cref="Copies"/> copies each run the scenario in a loop, one invocation after the other, for <see cref="During"/>.</summary>
public sealed record KeepConstantSimulation(int Copies, TimeSpan Duration) : LoadSimulation
{
    public override TimeSpan? During => Duration;

    public override bool IsOpenModel => false;

    internal override LoadSimulation For(TimeSpan during) => this with { Duration = during };

    public override string Describe() => $"keep_constant, copies: {Copies}, during: {Format.Span(Duration)}";
}

/// <summary>Closed model: <see cref="Copies"/> copies share <see cref="Iterations"/> invocations.</summary>
public sealed record IterationsForConstantSimulation(int Copies, long Iterations) : LoadSimulation
{
    public override TimeSpan? During => null;

    public override bool IsOpenModel => false;

    internal override LoadSimulation For(TimeSpan during) => new KeepConstantSimulation(Copies, during);

    public override string Describe() => $"iterations_for_constant, copies: {Copies}, iterations: {Iterations}";
}

public static class Simulation
{
    public static LoadSimulation Inject(int rate, TimeSpan interval, TimeSpan during)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), "the interval must be positive");
        if (during <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(during), "the duration must be positive");
        return new InjectSimulation(rate, interval, during);
    }

    public static LoadSimulation KeepConstant(int copies, TimeSpan during)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(copies);
        if (during <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(during), "the duration must be positive");
        return new KeepConstantSimulation(copies, during);
    }

    public static LoadSimulation IterationsForConstant(int copies, long iterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(copies);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        return new IterationsForConstantSimulation(copies, iterations);
    }
}

/// <summary>A scenario: what one invocation does, with its load simulations, warm-up, init, clean and thresholds.</summary>
public sealed record ScenarioProps
{
    public required string Name { get; init; }

    public required Func<IScenarioContext, Task<Response>> Run { get; init; }

    public Func<IScenarioInitContext, Task>? Init { get; init; }

    public Func<IScenarioInitContext, Task>? Clean { get; init; }

    public TimeSpan WarmUpDuration { get; init; } = TimeSpan.FromSeconds(3);

    public IReadOnlyList<LoadSimulation> LoadSimulations { get; init; } = [Simulation.KeepConstant(1, TimeSpan.FromSeconds(10))];

    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>Called at the start of the run phase, every <see cref="SamplerInterval"/> during it, and at its end.</summary>
    public Func<IScenarioInitContext, Task>? Sampler { get; init; }

    public TimeSpan SamplerInterval { get; init; } = TimeSpan.FromSeconds(5);

    public ScenarioProps WithInit(Func<IScenarioInitContext, Task> init) => this with { Init = init };

    public ScenarioProps WithClean(Func<IScenarioInitContext, Task> clean) => this with { Clean = clean };

    public ScenarioProps WithWarmUpDuration(TimeSpan duration) => this with { WarmUpDuration = duration };

    public ScenarioProps WithoutWarmUp() => this with { WarmUpDuration = TimeSpan.Zero };

    public ScenarioProps WithLoadSimulations(params LoadSimulation[] simulations) =>
        simulations.Length == 0 ? throw new ArgumentException("at least one load simulation", nameof(simulations)) : this with { LoadSimulations = simulations };

    public ScenarioProps WithThresholds(params Threshold[] thresholds) => this with { Thresholds = [.. Thresholds, .. thresholds] };

    public ScenarioProps WithSampler(TimeSpan interval, Func<IScenarioInitContext, Task> sampler) =>
        this with { Sampler = sampler, SamplerInterval = interval };
}

public static class Scenario
{
    public static ScenarioProps Create(string name, Func<IScenarioContext, Task<Response>> run)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(run);
        return new ScenarioProps { Name = name, Run = run };
    }
}

/// <summary>Steps inside a scenario invocation: each step gets its own row of stats (NBomber's Step.Run).</summary>
public static class Step
{
    /// <summary>
    /// Runs and measures one step. The first step of an invocation is timed from the invocation's intended start
    /// (so an open model's late start counts against it); later steps from their own start.
    /// </summary>
    public static async Task<Response> Run(string name, IScenarioContext context, Func<Task<Response>> run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        if (context is not ScenarioContext scenario) throw new ArgumentException("not a context given by the runner", nameof(context));
        var start = scenario.TakeStepStart();
        Response response;
        try
        {
            response = await run().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            response = Response.Fail("exception", $"{e.GetType().Name}: {e.Message}");
        }
        var end = response.CompletedAt ?? System.Diagnostics.Stopwatch.GetTimestamp();
        scenario.Collectors.Step(name).Record(response, end - start);
        return response;
    }
}

/// <summary>A pass/fail condition over a scenario's final stats; a failed one makes the run exit non-zero.</summary>
public sealed record Threshold(string Description, Func<ScenarioStats, bool> Check, Func<ScenarioStats, string>? Actual = null)
{
    public static Threshold Create(string description, Func<ScenarioStats, bool> check, Func<ScenarioStats, string>? actual = null) =>
        new(description, check, actual);
}

/// <summary>A condition over several scenarios' stats (e.g. a CPU ratio against a baseline scenario).</summary>
public sealed record RunThreshold(string Description, Func<IReadOnlyList<ScenarioStats>, bool> Check, Func<IReadOnlyList<ScenarioStats>, string>? Actual = null)
{
    public static RunThreshold Create(string description, Func<IReadOnlyList<ScenarioStats>, bool> check, Func<IReadOnlyList<ScenarioStats>, string>? actual = null) =>
        new(description, check, actual);
}

public enum ReportFormat
{
    Txt,
    Md,
    Csv,
    Html,
}
