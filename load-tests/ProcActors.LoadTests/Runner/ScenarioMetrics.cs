using System.Diagnostics;

namespace ProcActors.LoadTests.Runner;

/// <summary>
/// Custom metrics of a scenario beside its latency (NBomber's custom metrics): histograms of values (CPU per scan,
/// bytes per scan), series sampled over time (RSS, heap), single values. Only the run phase records: values given
/// during the warm-up, init or clean are dropped, except <see cref="Set"/>, which always records. Metrics are few
/// per invocation at most, so their values are kept and their percentiles are exact (nearest rank); the
/// latencies, recorded per call at up to tens of thousands per second, go through HdrHistogram instead.
/// </summary>
public sealed class ScenarioMetrics
{
    private readonly Dictionary<string, Metric> _metrics = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private volatile bool _active;
    private long _runStart;

    internal bool Active => _active;

    /// <summary>Adds a value to a histogram metric.</summary>
    public void Record(string name, double value, string unit = "")
    {
        if (!_active) return;
        var metric = Get(name, unit, MetricKind.Histogram);
        lock (metric) metric.Add(value, Seconds());
    }

    /// <summary>Adds a point to a series metric, timestamped from the start of the run phase.</summary>
    public void Sample(string name, double value, string unit = "")
    {
        if (!_active) return;
        var metric = Get(name, unit, MetricKind.Series);
        lock (metric) metric.Add(value, Seconds());
    }

    /// <summary>Sets a single-valued metric (the last value wins); recorded in any phase.</summary>
    public void Set(string name, double value, string unit = "")
    {
        var metric = Get(name, unit, MetricKind.Value);
        lock (metric) metric.Add(value, Seconds());
    }

    internal void StartRun()
    {
        lock (_metrics)
        {
            foreach (var name in _order.ToList())
            {
                if (_metrics[name].Kind == MetricKind.Value) continue;
                _metrics.Remove(name);
                _order.Remove(name);
            }
        }
        _runStart = Stopwatch.GetTimestamp();
        _active = true;
    }

    internal void StopRun() => _active = false;

    internal IReadOnlyList<MetricStats> ToStats()
    {
        lock (_metrics)
        {
            return [.. _order.Select(n => _metrics[n]).Select(m =>
            {
                lock (m) return m.ToStats();
            })];
        }
    }

    private double Seconds() => _runStart == 0 ? 0 : Stopwatch.GetElapsedTime(_runStart).TotalSeconds;

    private Metric Get(string name, string unit, MetricKind kind)
    {
        lock (_metrics)
        {
            if (_metrics.TryGetValue(name, out var metric))
            {
                if (metric.Kind != kind) throw new InvalidOperationException($"metric {name} is a {metric.Kind}, not a {kind}");
                return metric;
            }
            metric = new Metric(name, unit, kind);
            _metrics.Add(name, metric);
            _order.Add(name);
            return metric;
        }
    }

    private sealed class Metric(string name, string unit, MetricKind kind)
    {
        private readonly List<SeriesPoint> _points = [];
        private double _sum;
        private double _min = double.MaxValue;
        private double _max = double.MinValue;
        private double _first;
        private double _last;
        private long _count;

        public MetricKind Kind { get; } = kind;

        public void Add(double value, double seconds)
        {
            if (Kind == MetricKind.Value)
            {
                _count = 0;
                _sum = 0;
                _min = double.MaxValue;
                _max = double.MinValue;
                _points.Clear();
            }
            if (_count == 0) _first = value;
            _count++;
            _sum += value;
            _min = Math.Min(_min, value);
            _max = Math.Max(_max, value);
            _last = value;
            _points.Add(new SeriesPoint(seconds, value));
        }

        public MetricStats ToStats()
        {
            if (_count == 0) return new MetricStats(name, unit, Kind, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, []);
            var sorted = _points.Select(p => p.Value).Order().ToList();
            double P(double percentile) => sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
            // Histogram values are not a time series: the reports plot only series.
            IReadOnlyList<SeriesPoint> samples = Kind == MetricKind.Series ? [.. _points] : [];
            return new MetricStats(name, unit, Kind, _count, _min, _sum / _count, _max, P(50), P(75), P(95), P(99), _first, _last, samples);
        }
    }
}
