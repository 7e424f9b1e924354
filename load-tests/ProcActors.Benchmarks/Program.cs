using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using ProcActors.Benchmarks;

try
{
    return Commands.Run(args);
}
catch (Exception e)
{
    // Caught here, so that every finally (killing the spawned children, deleting a fixture) has run by now.
    Console.Error.WriteLine(e);
    return 1;
}

internal static class Commands
{
    private const string Usage =
        """
        ProcActors.Benchmarks: CPU per process of a full scan (LocalTracker.Update over a ProcfsReader).

          bdn [BenchmarkDotNet args]   BenchmarkDotNet: RootScan (PROCACTORS_BENCH_ROOT, default /proc) and FixtureScan
                                       (generated trees of N = 1000, 5000 processes); all benchmarks unless --filter is
                                       given. PROCACTORS_BENCH_SMAPS=0, PROCACTORS_BENCH_THREADS=0, PROCACTORS_BENCH_WCHAN=0
                                       turn parts off.
          fixture N --out DIR          write a fixture tree of N processes under DIR, print its path, and keep it
        """;

    public static int Run(string[] args)
    {
        switch (args)
        {
            case ["bdn", .. var rest]:
                var config = DefaultConfig.Instance
                    // Not the working folder: the results stay beside the build output of this project.
                    .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"))
                    .AddColumn(
                        new PerProcessColumn(PerProcessColumn.Kind.Processes),
                        new PerProcessColumn(PerProcessColumn.Kind.MicrosPerProcess),
                        new PerProcessColumn(PerProcessColumn.Kind.BytesPerProcess));
                if (!rest.Any(a => a is "--filter" or "-f" or "--list" or "--info")) rest = [.. rest, "--filter", "*"];
                if (!rest.Contains("--join")) rest = [.. rest, "--join"]; // one summary table for RootScan and FixtureScan
                ProcessCounts.Clear();
                BenchmarkSwitcher.FromAssembly(typeof(ScanBenchmark).Assembly).Run(rest, config);
                return 0;
            case ["scan", .. var rest]:
                return ScanCommand.Run(rest);
            case ["files", .. var rest]:
                return FilesCommand.Run(rest);
            case ["fixture", var count, "--out", var parent] when int.TryParse(count, out var n) && n > 0:
                // Kept for reuse (scan --root DIR against several builds, perf): delete it yourself.
                Console.WriteLine(FixtureTree.Create(n, parent).Root);
                return 0;
            default:
                Console.Error.WriteLine(Usage);
                Console.Error.WriteLine("  " + ScanCommand.Usage.Replace("\n", "\n  ", StringComparison.Ordinal));
                Console.Error.WriteLine("  " + FilesCommand.Usage.Replace("\n", "\n  ", StringComparison.Ordinal));
                return 2;
        }
    }
}
