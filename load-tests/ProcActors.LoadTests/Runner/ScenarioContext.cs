using System.Diagnostics;

namespace ProcActors.LoadTests.Runner;

internal sealed class ScenarioContext(
    ScenarioInfo info, long invocation, long intendedStart, bool warmUp, ScenarioMetrics metrics, TextWriter logger,
    PhaseCollectors collectors, CancellationToken cancellationToken) : IScenarioContext
{
    private bool _stepTaken;

    public ScenarioInfo ScenarioInfo { get; } = info;

    public long InvocationNumber { get; } = invocation;

    public long IntendedStart { get; } = intendedStart;

    public bool IsWarmUp { get; } = warmUp;

    public ScenarioMetrics Metrics { get; } = metrics;

    public TextWriter Logger { get; } = logger;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public PhaseCollectors Collectors { get; } = collectors;

    /// <summary>The first step starts at the invocation's intended start; later steps now.</summary>
    public long TakeStepStart()
    {
        if (_stepTaken) return Stopwatch.GetTimestamp();
        _stepTaken = true;
        return IntendedStart;
    }
}

internal sealed class InitContext(string scenarioName, ScenarioMetrics metrics, TextWriter logger, CancellationToken cancellationToken) : IScenarioInitContext
{
    public string ScenarioName { get; } = scenarioName;

    public ScenarioMetrics Metrics { get; } = metrics;

    public TextWriter Logger { get; } = logger;

    public CancellationToken CancellationToken { get; } = cancellationToken;
}
