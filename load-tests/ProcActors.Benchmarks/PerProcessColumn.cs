using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ProcActors.Benchmarks;

/// <summary>The summary's Mean and Allocated divided by the processes one scan lists; and that count.</summary>
public sealed class PerProcessColumn : IColumn
{
    public enum Kind { Processes, MicrosPerProcess, BytesPerProcess }

    private readonly Kind _kind;

    public PerProcessColumn(Kind kind) => _kind = kind;

    public string Id => $"{nameof(PerProcessColumn)}.{_kind}";

    public string ColumnName => _kind switch
    {
        Kind.Processes => "Procs",
        Kind.MicrosPerProcess => "μs/proc",
        _ => "B/proc",
    };

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (int)_kind;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => _kind switch
    {
        Kind.Processes => "Processes listed by one scan",
        Kind.MicrosPerProcess => "Mean time of one scan divided by the processes it listed",
        _ => "Bytes allocated by one scan divided by the processes it listed",
    };

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var n = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(FixtureScan.N))?.Value as int?;
        if (ProcessCounts.Read(ProcessCounts.Key(benchmarkCase.Descriptor.Type.Name, n)) is not { } processes) return "?";
        if (_kind == Kind.Processes) return processes.ToString(CultureInfo.InvariantCulture);
        var report = summary[benchmarkCase];
        if (report is null) return "NA";
        if (_kind == Kind.MicrosPerProcess)
        {
            return report.ResultStatistics is { } stats
                ? (stats.Mean / 1000.0 / processes).ToString("0.000", CultureInfo.InvariantCulture)
                : "NA";
        }
        return report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase) is { } bytes
            ? ((double)bytes / processes).ToString("0.00", CultureInfo.InvariantCulture)
            : "NA";
    }

    public override string ToString() => ColumnName;
}
