using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace ProcActors.LoadTests.Runner;

/// <summary>
/// Latencies of one scenario or step, recorded from many threads into HdrHistogram recorders (in Stopwatch-free
/// units of 100 ns, 3 significant digits, up to one hour). The runner drains an interval histogram once per
/// progress tick: that is the latency-over-time timeline; the cumulative histograms make the final stats.
/// </summary>
internal sealed class LatencyCollector
{
    /// <summary>Values are TimeSpan ticks (100 ns).</summary>
    public const long HighestTrackable = TimeSpan.TicksPerHour;

    private readonly Recorder _ok = NewRecorder();
    private readonly Recorder _fail = NewRecorder();
    private readonly LongHistogram _okTotal = NewHistogram();
    private readonly LongHistogram _failTotal = NewHistogram();
    private readonly ConcurrentDictionary<(string Code, bool IsError), StatusCounter> _codes = new();
    private readonly object _bytesLock = new();
    private HistogramBase? _okInterval;
    private HistogramBase? _failInterval;
    private long _okCount;
    private long _failCount;
    private long _okBytes;
    private long _okMinBytes = long.MaxValue;
    private long _okMaxBytes;
    private long _failBytes;
    private long _failMinBytes = long.MaxValue;
    private long _failMaxBytes;

    public LatencyCollector(string name) => Name = name;

    public string Name { get; }

    public long OkCount => Interlocked.Read(ref _okCount);

    public long FailCount => Interlocked.Read(ref _failCount);

    public static Recorder NewRecorder() => new(1, HighestTrackable, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));

    public static LongHistogram NewHistogram() => new(HighestTrackable, 3);

    /// <summary>Records a response whose latency is given in Stopwatch ticks.</summary>
    public void Record(Response response, long stopwatchTicks)
    {
        var value = ToHistogramUnits(stopwatchTicks);
        if (response.IsError)
        {
            _fail.RecordValue(value);
            Interlocked.Increment(ref _failCount);
        }
        else
        {
            _ok.RecordValue(value);
            Interlocked.Increment(ref _okCount);
        }
        _codes.GetOrAdd((response.StatusCode, response.IsError), static _ => new StatusCounter()).Add(response.Message);
        lock (_bytesLock)
        {
            if (response.IsError)
            {
                _failBytes += response.SizeBytes;
                _failMinBytes = Math.Min(_failMinBytes, response.SizeBytes);
                _failMaxBytes = Math.Max(_failMaxBytes, response.SizeBytes);
            }
            else
            {
                _okBytes += response.SizeBytes;
                _okMinBytes = Math.Min(_okMinBytes, response.SizeBytes);
                _okMaxBytes = Math.Max(_okMaxBytes, response.SizeBytes);
            }
        }
    }

    public static long ToHistogramUnits(long stopwatchTicks)
    {
        if (stopwatchTicks <= 0) return 0;
        var ticks = (long)((Int128)stopwatchTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
        return Math.Min(ticks, HighestTrackable);
    }

    /// <summary>Moves what was recorded since the last drain into the totals; returns that interval's ok histogram.</summary>
    public (HistogramBase Ok, long FailCount) Drain()
    {
        _okInterval = _ok.GetIntervalHistogram(_okInterval);
        _failInterval = _fail.GetIntervalHistogram(_failInterval);
        _okTotal.Add(_okInterval);
        _failTotal.Add(_failInterval);
        return (_okInterval, _failInterval.TotalCount);
    }

    /// <summary>Final stats over <paramref name="duration"/>: drains what is left first.</summary>
    public StepStats ToStats(TimeSpan duration)
    {
        Drain();
        // Exact counts from the counters (the histograms give the latencies).
        var ok = OkCount;
        var fail = FailCount;
        var all = ok + fail;
        var seconds = Math.Max(duration.TotalSeconds, 1e-9);
        var codes = _codes.OrderByDescending(c => c.Value.Count).ThenBy(c => c.Key.Code, StringComparer.Ordinal).ToList();
        MeasurementStats Measurement(LongHistogram histogram, long count, bool error, long bytes, long min, long max) => new(
            new RequestStats(count, count / seconds, all == 0 ? 0 : count * 100.0 / all),
            Latency(histogram),
            count == 0 ? DataTransferStats.Empty : new DataTransferStats(min == long.MaxValue ? 0 : min, (double)bytes / count, max, bytes),
            [.. codes.Where(c => c.Key.IsError == error).Select(c => new StatusCodeStats(c.Key.Code, error, c.Value.Count, c.Value.Message))]);
        lock (_bytesLock)
        {
            return new StepStats(Name,
                Measurement(_okTotal, ok, false, _okBytes, _okMinBytes, _okMaxBytes),
                Measurement(_failTotal, fail, true, _failBytes, _failMinBytes, _failMaxBytes));
        }
    }

    /// <summary>Latency stats in milliseconds of a histogram in 100 ns units.</summary>
    public static LatencyStats Latency(HistogramBase h)
    {
        if (h.TotalCount == 0) return LatencyStats.Empty;
        static double Ms(double ticks) => ticks / TimeSpan.TicksPerMillisecond;
        return new LatencyStats(
            h.TotalCount,
            Ms(h.LowestEquivalentValue(MinValue(h))),
            Ms(h.GetMean()),
            Ms(h.GetMaxValue()),
            Ms(h.GetStdDeviation()),
            Ms(h.GetValueAtPercentile(50)),
            Ms(h.GetValueAtPercentile(75)),
            Ms(h.GetValueAtPercentile(95)),
            Ms(h.GetValueAtPercentile(99)));
    }

    private static long MinValue(HistogramBase h)
    {
        foreach (var value in h.RecordedValues()) return value.ValueIteratedTo;
        return 0;
    }

    private sealed class StatusCounter
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public string? Message { get; private set; }

        public void Add(string? message)
        {
            Interlocked.Increment(ref _count);
            if (message is not null && Message is null) Message = message;
        }
    }
}

/// <summary>The collectors of one phase of one scenario: the invocation as a whole, its steps, and the scheduler's lag.</summary>
internal sealed class PhaseCollectors
{
    public const string GlobalStepName = "global information";

    private readonly ConcurrentDictionary<string, LatencyCollector> _steps = new(StringComparer.Ordinal);
    private readonly List<string> _stepOrder = [];

    public LatencyCollector Global { get; } = new(GlobalStepName);

    public Recorder Lag { get; } = LatencyCollector.NewRecorder();

    public LatencyCollector Step(string name)
    {
        if (_steps.TryGetValue(name, out var collector)) return collector;
        lock (_stepOrder)
        {
            // GetOrAdd may run its factory on two threads at once: the order list is kept under the lock.
            if (_steps.TryGetValue(name, out collector)) return collector;
            collector = new LatencyCollector(name);
            _steps[name] = collector;
            _stepOrder.Add(name);
            return collector;
        }
    }

    public IReadOnlyList<LatencyCollector> Steps
    {
        get
        {
            lock (_stepOrder) return [.. _stepOrder.Select(n => _steps[n])];
        }
    }
}
