using System.Diagnostics;
using System.Globalization;
using ProcActors.LoadTests.Runner;
using ProcActors.Procfs.Taskstats;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>
/// churn: the real agent (taskstats exit accounting, scanning /proc every --scan-interval) watched for --duration
/// while the machine is quiet, then for --duration while a spawner of ours makes --rate process exits a second
/// (Native/churn.c, compiled with gcc here: --procs workers each clone a child, CLONE_VM|CLONE_VFORK as posix_spawn
/// does, that exits at once, and reap it). Per phase, from the agent's /metrics: scan CPU per scan, update latency,
/// the agent's own CPU; for the churn, the exit records a listener of ours saw of the spawner's processes against
/// the exits it made, and the agent's lost records. A second agent with --exit-accounting off runs beside it
/// throughout: what churn costs any scanner of /proc (fork and exit contend with /proc reads for the kernel's task
/// locks, and the spawner for the CPUs) is what that one shows; the exit accounting's own cost is the difference.
/// </summary>
public static class ChurnScenario
{
    public const string Name = "churn";
    public const string ExitsMade = "process exits made";
    public const string ExitsPerSecond = "process exits per second";
    public const string RecordsSeen = "exit records of the spawner's processes";
    public const string Lost = "procactors_exit_records_lost_total during the churn";
    public const string AgentRecords = "procactors_exit_records_total during the churn";
    public const string ScanCpuQuiet = "scan CPU per scan, quiet";
    public const string ScanCpuChurn = "scan CPU per scan, churn";
    public const string LatencyQuiet = "update latency mean, quiet";
    public const string LatencyChurn = "update latency mean, churn";
    public const string LatencyP99Quiet = "update latency p99 bucket, quiet";
    public const string LatencyP99Churn = "update latency p99 bucket, churn";
    public const string AgentCpuQuiet = "agent CPU per second, quiet";
    public const string AgentCpuChurn = "agent CPU per second, churn";
    public const string PeerScanCpuQuiet = "scan CPU per scan, quiet, agent without exit accounting";
    public const string PeerScanCpuChurn = "scan CPU per scan, churn, agent without exit accounting";
    public const string PeerLatencyQuiet = "update latency mean, quiet, agent without exit accounting";
    public const string PeerLatencyChurn = "update latency mean, churn, agent without exit accounting";
    public const string PeerLatencyP99Quiet = "update latency p99 bucket, quiet, agent without exit accounting";
    public const string PeerLatencyP99Churn = "update latency p99 bucket, churn, agent without exit accounting";

    public static LoadRunner Build(LoadTestOptions options)
    {
        var rate = options.Rate ?? 10_000;
        var duration = options.Duration ?? TimeSpan.FromSeconds(30);
        var workers = options.Procs ?? 2;
        var latencyTarget = options.P99TargetMs ?? 50;
        var scenario = Scenario.Create(Name, async context =>
            {
                var m = await RunAsync(rate, duration, workers, options.ScanInterval, context.CancellationToken).ConfigureAwait(false);
                foreach (var (name, value, unit) in m) context.Metrics.Set(name, value, unit);
                return Response.Ok("run");
            })
            .WithWarmUpDuration(TimeSpan.Zero)
            .WithLoadSimulations(Simulation.IterationsForConstant(1, 1))
            .WithThresholds(
                Threshold.Create("every exit made has its record, none lost",
                    s => Last(s, Lost) == 0 && Last(s, RecordsSeen) >= Last(s, ExitsMade) && Last(s, ExitsMade) > 0,
                    s => $"{Format.Num(Last(s, RecordsSeen))} records for {Format.Num(Last(s, ExitsMade))} exits (+{workers + 1} spawner processes), {Format.Num(Last(s, Lost))} lost by the agent"),
                Threshold.Create($"the spawner reached 90 % of {Format.Num(rate)} exits a second",
                    s => Last(s, ExitsPerSecond) >= 0.9 * rate,
                    s => $"{Format.Num(Last(s, ExitsPerSecond))}/s"),
                Threshold.Create("scan CPU per scan grows under churn within 1.5x of what it grows without exit accounting",
                    s => Growth(s, ScanCpuChurn, ScanCpuQuiet) <= 1.5 * Growth(s, PeerScanCpuChurn, PeerScanCpuQuiet),
                    s => $"{Format.Num(Last(s, ScanCpuQuiet))} → {Format.Num(Last(s, ScanCpuChurn))} ms ({Format.Num(Growth(s, ScanCpuChurn, ScanCpuQuiet))}x); without exit accounting {Format.Num(Last(s, PeerScanCpuQuiet))} → {Format.Num(Last(s, PeerScanCpuChurn))} ms ({Format.Num(Growth(s, PeerScanCpuChurn, PeerScanCpuQuiet))}x)"),
                Threshold.Create($"update latency p99 under churn within its target ({Format.Num(latencyTarget)} ms)",
                    s => Last(s, LatencyP99Churn) <= latencyTarget,
                    s => $"p99 bucket {Format.Num(Last(s, LatencyP99Churn))} ms (quiet {Format.Num(Last(s, LatencyP99Quiet))} ms), mean {Format.Num(Last(s, LatencyChurn))} ms (quiet {Format.Num(Last(s, LatencyQuiet))} ms); without exit accounting p99 bucket {Format.Num(Last(s, PeerLatencyP99Churn))} ms (quiet {Format.Num(Last(s, PeerLatencyP99Quiet))} ms)"));
        return LoadRunner.RegisterScenarios(scenario)
            .WithTestName(Name)
            .WithNote("workload", $"{Format.Num(rate)} process exits a second for {Format.Span(duration)} from {workers} workers (churn.c, clone(CLONE_VM|CLONE_VFORK), each child exits at once), after {Format.Span(duration)} quiet; agent scanning /proc every {Format.Span(options.ScanInterval)} with --exit-accounting taskstats, and a second one beside it with --exit-accounting off");
    }

    private static double Last(ScenarioStats s, string metric) => s.Metric(metric)?.Last ?? double.NaN;

    private static double Growth(ScenarioStats s, string after, string before) => Last(s, after) / Math.Max(1e-9, Last(s, before));

    private static async Task<List<(string, double, string)>> RunAsync(double rate, TimeSpan duration, int workers, TimeSpan scanInterval, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("procactors-churn-").FullName;
        try
        {
            var name = "pc" + Guid.NewGuid().ToString("N")[..10];
            var spawner = Path.Combine(dir, name);
            await CompileAsync(Path.Combine(AppContext.BaseDirectory, "Native", "churn.c"), spawner, cancellationToken).ConfigureAwait(false);
            using var listener = ExitRecordReader.TryStart(out var error) ?? throw new InvalidOperationException($"taskstats exit records are not available: {error}");
            await using var agent = await AgentServer.StartAsync("/proc", "churn", null, scanInterval, cancellationToken,
                extraArgs: ["-procnames", name, "--exit-accounting", "taskstats"]).ConfigureAwait(false);
            await using var peer = await AgentServer.StartAsync("/proc", "churn-peer", null, scanInterval, cancellationToken,
                extraArgs: ["-procnames", name, "--exit-accounting", "off"]).ConfigureAwait(false);
            // Two scans in before measuring: the first cycles carry start-up work.
            await Task.Delay(scanInterval * 3, cancellationToken).ConfigureAwait(false);

            var quietStart = await AgentMetrics.ScrapeAsync(agent, cancellationToken).ConfigureAwait(false);
            var peerQuietStart = await AgentMetrics.ScrapeAsync(peer, cancellationToken).ConfigureAwait(false);
            await Task.Delay(duration, cancellationToken).ConfigureAwait(false);
            var quietEnd = await AgentMetrics.ScrapeAsync(agent, cancellationToken).ConfigureAwait(false);
            var peerQuietEnd = await AgentMetrics.ScrapeAsync(peer, cancellationToken).ConfigureAwait(false);

            var records = new List<ExitRecord>();
            listener.Drain(records);
            var seen = 0L;
            var run = RunSpawnerAsync(spawner, rate, duration, workers, cancellationToken);
            while (!run.IsCompleted)
            {
                seen += Count(listener, records, name);
                await Task.WhenAny(run, Task.Delay(50, cancellationToken)).ConfigureAwait(false);
            }
            var made = await run.ConfigureAwait(false);
            // The last records are queued within milliseconds; the agent's next scan drains them.
            await Task.Delay(scanInterval * 2, cancellationToken).ConfigureAwait(false);
            seen += Count(listener, records, name);
            var churnEnd = await AgentMetrics.ScrapeAsync(agent, cancellationToken).ConfigureAwait(false);
            var peerChurnEnd = await AgentMetrics.ScrapeAsync(peer, cancellationToken).ConfigureAwait(false);

            var quiet = AgentMetrics.Phase(quietStart, quietEnd);
            var churn = AgentMetrics.Phase(quietEnd, churnEnd);
            var peerQuiet = AgentMetrics.Phase(peerQuietStart, peerQuietEnd);
            var peerChurn = AgentMetrics.Phase(peerQuietEnd, peerChurnEnd);
            return
            [
                (ExitsMade, made.Exits, ""),
                (ExitsPerSecond, made.Exits / made.Seconds, "/s"),
                (RecordsSeen, seen - (workers + 1), ""),
                (Lost, churnEnd.Value("procactors_exit_records_lost_total") - quietEnd.Value("procactors_exit_records_lost_total") + listener.Overflows + listener.Dropped, ""),
                (AgentRecords, churnEnd.Value("procactors_exit_records_total") - quietEnd.Value("procactors_exit_records_total"), ""),
                (ScanCpuQuiet, quiet.ScanCpuMs, "ms"),
                (ScanCpuChurn, churn.ScanCpuMs, "ms"),
                (LatencyQuiet, quiet.LatencyMeanMs, "ms"),
                (LatencyChurn, churn.LatencyMeanMs, "ms"),
                (LatencyP99Quiet, quiet.LatencyP99Ms, "ms"),
                (LatencyP99Churn, churn.LatencyP99Ms, "ms"),
                (AgentCpuQuiet, quiet.AgentCpuPerSecond * 1000, "ms"),
                (AgentCpuChurn, churn.AgentCpuPerSecond * 1000, "ms"),
                (PeerScanCpuQuiet, peerQuiet.ScanCpuMs, "ms"),
                (PeerScanCpuChurn, peerChurn.ScanCpuMs, "ms"),
                (PeerLatencyQuiet, peerQuiet.LatencyMeanMs, "ms"),
                (PeerLatencyChurn, peerChurn.LatencyMeanMs, "ms"),
                (PeerLatencyP99Quiet, peerQuiet.LatencyP99Ms, "ms"),
                (PeerLatencyP99Churn, peerChurn.LatencyP99Ms, "ms"),
            ];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static long Count(ExitRecordReader listener, List<ExitRecord> records, string name)
    {
        records.Clear();
        listener.Drain(records);
        return records.LongCount(r => r.Pid == r.Tgid && r.Comm == name);
    }

    internal static async Task CompileAsync(string source, string binary, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("gcc") { RedirectStandardError = true, ArgumentList = { "-O2", "-o", binary, source } };
        Process gcc;
        try
        {
            gcc = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"gcc is needed to build the spawner ({source}): {e.Message}", e);
        }
        using (gcc)
        {
            var errors = await gcc.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await gcc.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (gcc.ExitCode != 0) throw new InvalidOperationException($"gcc failed on {source}: {errors}");
        }
    }

    internal readonly record struct SpawnerResult(long Exits, double Seconds, long ChildrenCpuMicros, long WorkersCpuMicros, long SelfCpuMicros);

    internal static SpawnerResult ParseSpawner(string output)
    {
        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        return new SpawnerResult((long)values["exits"], values["seconds"], (long)values["children_cpu_us"], (long)values["workers_cpu_us"], (long)values["self_cpu_us"]);
    }

    private static async Task<SpawnerResult> RunSpawnerAsync(string spawner, double rate, TimeSpan duration, int workers, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(spawner) { RedirectStandardOutput = true };
        foreach (var arg in new[] { "rate", rate.ToString(CultureInfo.InvariantCulture), duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), workers.ToString(CultureInfo.InvariantCulture), "0" })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0) throw new InvalidOperationException($"the spawner exited with {process.ExitCode}");
        return ParseSpawner(output);
    }
}
