using System.Globalization;
using BenchmarkDotNet.Attributes;
using ProcActors.Procfs;
using ProcActors.Tracking;

namespace ProcActors.Benchmarks;

/// <summary>Settings the BenchmarkDotNet runs take from the environment (the benchmark processes inherit it).</summary>
public static class BenchEnvironment
{
    /// <summary>PROCACTORS_BENCH_ROOT, else /proc.</summary>
    public static string Root => Environment.GetEnvironmentVariable("PROCACTORS_BENCH_ROOT") is { Length: > 0 } root ? root : "/proc";

    /// <summary>PROCACTORS_BENCH_SMAPS=0 / PROCACTORS_BENCH_THREADS=0 / PROCACTORS_BENCH_WCHAN=0 turn a part off.</summary>
    public static ProcfsOptions Options => new()
    {
        GatherSmaps = Flag("PROCACTORS_BENCH_SMAPS"),
        Threads = Flag("PROCACTORS_BENCH_THREADS"),
        Wchan = Flag("PROCACTORS_BENCH_WCHAN"),
    };

    private static bool Flag(string name) => Environment.GetEnvironmentVariable(name) is not ("0" or "false" or "off");
}

/// <summary>One steady scan: a LocalTracker over a reused ProcfsReader, after warm-up scans that read the static facts.</summary>
public abstract class ScanBenchmark
{
    private ProcfsReader _reader = null!;
    private LocalTracker _tracker = null!;

    protected void Prepare(string root, string key)
    {
        _reader = new ProcfsReader(root, BenchEnvironment.Options);
        _tracker = new LocalTracker(new CommNamer());
        var first = _tracker.Update(_reader);
        if (first.Error is not null) throw new InvalidOperationException(first.Error);
        var steady = _tracker.Update(_reader);
        ProcessCounts.Write(key, steady.Listed);
        Console.WriteLine($"// {key}: root {root}, {steady.Listed} processes listed, {_tracker.Tracker.Count} tracked, {_tracker.Groups.Count} groups, options {BenchEnvironment.Options}");
    }

    [Benchmark]
    public ScanResult Scan() => _tracker.Update(_reader);
}

/// <summary>The procfs at PROCACTORS_BENCH_ROOT (default /proc).</summary>
[MemoryDiagnoser]
public class RootScan : ScanBenchmark
{
    [GlobalSetup]
    public void Setup() => Prepare(BenchEnvironment.Root, ProcessCounts.Key(nameof(RootScan), null));
}

/// <summary>A generated tree of N processes (see <see cref="FixtureTree"/>).</summary>
[MemoryDiagnoser]
public class FixtureScan : ScanBenchmark
{
    private FixtureTree? _fixture;

    [Params(1000, 5000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fixture = FixtureTree.Create(N);
        Prepare(_fixture.Root, ProcessCounts.Key(nameof(FixtureScan), N));
    }

    [GlobalCleanup]
    public void Cleanup() => _fixture?.Dispose();
}

/// <summary>
/// The number of processes a benchmark's scan lists, handed from the benchmark process (which knows it after its
/// setup) to the host process (which prints the summary) through a file in the temp folder.
/// </summary>
public static class ProcessCounts
{
    private static string Folder => Path.Combine(Path.GetTempPath(), "procactors-bench-counts");

    public static string Key(string benchmark, int? n) =>
        n is null ? benchmark : string.Create(CultureInfo.InvariantCulture, $"{benchmark}-N{n}");

    /// <summary>Forgets the counts of earlier runs, so that a benchmark that failed before its setup shows "?".</summary>
    public static void Clear()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }

    public static void Write(string key, int processes)
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(Folder, key), processes.ToString(CultureInfo.InvariantCulture));
    }

    public static int? Read(string key) =>
        File.Exists(Path.Combine(Folder, key)) && int.TryParse(File.ReadAllText(Path.Combine(Folder, key)), CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : null;
}
