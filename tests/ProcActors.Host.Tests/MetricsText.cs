using System.Globalization;

namespace ProcActors.Host.Tests;

/// <summary>A Prometheus text exposition, parsed into series → value for exact assertions.</summary>
internal sealed class MetricsText
{
    private readonly Dictionary<string, double> _series;

    private MetricsText(string text, Dictionary<string, double> series)
    {
        Text = text;
        _series = series;
    }

    public string Text { get; }

    public IReadOnlyDictionary<string, double> Series => _series;

    public static MetricsText Parse(string text)
    {
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var space = line.LastIndexOf(' ');
            var key = Normalize(line[..space]);
            series[key] = double.Parse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return new MetricsText(text, series);
    }

    /// <summary>The value of a series given as name and label pairs in any order, e.g. ("groupname", "web", "mode", "user").</summary>
    public double Value(string name, params string[] labels) =>
        TryValue(name, out var value, labels) ? value : throw new KeyNotFoundException($"no series {Key(name, labels)} in:\n{Text}");

    public bool TryValue(string name, out double value, params string[] labels) => _series.TryGetValue(Key(name, labels), out value);

    public bool Has(string name, params string[] labels) => _series.ContainsKey(Key(name, labels));

    private static string Key(string name, string[] labels)
    {
        if (labels.Length == 0) return name;
        var pairs = Enumerable.Range(0, labels.Length / 2).Select(i => $"{labels[2 * i]}=\"{labels[2 * i + 1]}\"").Order(StringComparer.Ordinal);
        return $"{name}{{{string.Join(',', pairs)}}}";
    }

    /// <summary>Sorts the labels of a series so that lookups do not depend on the exporter's label order.</summary>
    private static string Normalize(string series)
    {
        var brace = series.IndexOf('{');
        if (brace < 0) return series;
        var labels = series[(brace + 1)..^1];
        var pairs = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] == '"' && (i == 0 || labels[i - 1] != '\\')) quoted = !quoted;
            else if (labels[i] == ',' && !quoted)
            {
                pairs.Add(labels[start..i]);
                start = i + 1;
            }
        }
        if (start < labels.Length) pairs.Add(labels[start..]);
        pairs.Sort(StringComparer.Ordinal);
        return $"{series[..brace]}{{{string.Join(',', pairs)}}}";
    }
}
