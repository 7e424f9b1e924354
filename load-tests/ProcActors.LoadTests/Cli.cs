using System.Globalization;
using ProcActors.LoadTests.Runner;
using ProcActors.LoadTests.Scenarios;

namespace ProcActors.LoadTests;

/// <summary>Command-line options shared by the scenarios; each scenario takes the ones it uses.</summary>
public sealed record LoadTestOptions
{
    public required string Scenario { get; init; }
    public int? Procs { get; init; }
    public int Groups { get; init; } = 100;
    public TimeSpan? Duration { get; init; }
    public double? Rate { get; init; }
    public int? Copies { get; init; }
    public TimeSpan? WarmUp { get; init; }
    public string? ReportDir { get; init; }
    public double Churn { get; init; } = 0.01;
    public int ThreadedEvery { get; init; } = 10;
    public string Root { get; init; } = "/proc";
    public int Fixture { get; init; }
    public int Scans { get; init; } = 30;
    public bool Baseline { get; init; } = true;
    public string ProcessExporter { get; init; } = "/usr/bin/prometheus-process-exporter";
    public double? P99TargetMs { get; init; }
    public double MinCpuRatio { get; init; } = 4;
    public double MaxGrowthPercent { get; init; } = 10;
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromSeconds(5);
    public int Top { get; init; } = 10;
    /// <summary>ask-remote: HOST:PORT of an agent already running (default: one the scenario starts).</summary>
    public string? Agent { get; init; }
    /// <summary>ask-fleet: kill -9 the second agent halfway through the run.</summary>
    public bool KillOne { get; init; }
    public bool Echo { get; init; }
    public bool Progress { get; init; } = true;
    public TimeSpan Tick { get; init; } = TimeSpan.FromSeconds(1);
    public PersistStore Store { get; init; } = PersistStore.Both;
    public int Iterations { get; init; } = 20;
    public int Rounds { get; init; } = 3;
    /// <summary>short-lived: what the burners are (sh, fork or clone).</summary>
    public string Burner { get; init; } = "sh";
    /// <summary>scan: also scan with reads bounded by this deadline, interleaved with the plain scans, and report the ratio.</summary>
    public TimeSpan? ReadTimeout { get; init; }
}

public static class Cli
{
    public const string Usage =
        """
        ProcActors load tests: NBomber-style scenarios against the real agent, reports in txt, md, csv and html.

        usage: dotnet run -c Release --project load-tests/ProcActors.LoadTests -- <scenario> [options]

        scenarios:
          update-latency  the real actor pipeline over an in-memory table of N processes with churn; latency = request
                          of a scan (ScanNow) → node view of a scan that started after it. Target p99 <= 10 ms at 10k
                          processes, <= 50 ms at 50k (interpolated between, linear beyond).
          scan            full scans of a procfs root with ProcScanner/LocalTracker + ProcfsReader: µs per process, CPU
                          and bytes allocated per scan; against process-exporter on the same root when installed
                          (target: at least 4x less CPU).
          ask-local       GetGroups and GetTop (alternating) asked of the aggregator in process, open model. Target p99
                          <= 1 ms at 10k req/s.
          ask-remote      the same asked of a real agent in another process (the built procactors on a fixture tree of
                          --procs processes, or --agent HOST:PORT) with the typed client over Akka.Remote. Target p99
                          <= 5 ms at 5k req/s, every request answered.
          ask-remote-inproc  ask-local over Akka.Remote between two actor systems of this process (calibration).
          ask-fleet       GetFleetGroups asked of the first of 3 agent processes clustered on 127.0.0.1 (--procs each,
                          default 2000); --kill-one kill -9s the second halfway. Target p99 <= 20 ms at 500 req/s, no
                          request failed or over 2 s.
          soak            update-latency for a long time, sampling RSS, GC heap and tracker sizes; fails on sustained growth.
                          Target p99 <= 50 ms at 10k (its sampler's forced full collections meet some cycles).
          persist         the real pipeline with snapshots to the SQL snapshot store as the host configures it (SQLite
                          file in WAL mode, and/or an own throw-away PostgreSQL server): steps save (SaveSnapshotNow →
                          SnapshotSaved) and recover (LoadSnapshot → all N processes back). Target p99 <= 2 s each at 10k.
          short-lived     real kernel, root: rounds of --procs burners (~5 ms CPU each) born and gone between scans;
                          their group's CPU with taskstats exit records (and with scans alone) against the spawner's
                          RUSAGE_CHILDREN, target within 2 %; then threads ending at --rate/s for --duration: no exit
                          record lost. Options: --procs [1500], --rounds [3], --scan-interval [5s], --rate [10000],
                          --duration [30s].
          churn           real kernel, root, gcc: the real agent (taskstats) for --duration quiet, then for --duration
                          while a C spawner (Native/churn.c) makes --rate process exits a second from --procs workers:
                          every exit has its record and none is lost; scan CPU per scan and update latency, churn
                          against quiet. Options: --rate [10000], --duration [30s], --procs [2], --scan-interval [5s],
                          --p99-target-ms [50].

        options (defaults per scenario in brackets):
          --procs N              processes in the in-memory table [10000]
          --groups G             groups they belong to [100]
          --duration D           run phase, e.g. 30s, 2m [30s; update-latency 60s (120 cycles: a p99, not a maximum); soak 2m]
          --rate R               open model: invocations per second [update-latency 2, soak 2, ask-local 10000, ask-remote 5000]
          --copies C             closed model instead: C copies in a loop (KeepConstant)
          --warmup D             warm-up, results dropped [5s; update-latency 60s (the JIT's tier-up); scan, persist 2s]
          --report-dir DIR       where reports go [load-tests/reports/<scenario>]
          --churn F              share of processes replaced each scan [0.01]
          --threaded-every K     every K-th process has 4 threads, 0 for none [10]
          --root DIR             scan: procfs root [/proc]
          --fixture N            scan: generate a fixture tree of N processes and scan it instead of --root
          --read-timeout D       scan: also scan with reads bounded by D (the agent's default is 2s), interleaved
                                 with the plain scans, and report bounded/plain CPU and wall time per scan
          --scans S              scan: measured scans (and process-exporter scrapes) [30]
          --no-baseline          scan: do not run process-exporter
          --process-exporter P   scan: its binary [/usr/bin/prometheus-process-exporter]
          --p99-target-ms X      the latency threshold [per scenario, see above; persist: save and recover each]
          --min-cpu-ratio X      scan: process-exporter CPU / ours at least [4]
          --max-growth-pct X     soak: allowed growth of the live heap, last third against first third [10]
          --sample-interval D    soak: sampling period [5s]
          --scan-interval D      ask-*: the agent's own scan interval meanwhile [5s]
          --top N                ask-*: GetTop's n [10]
          --echo                 ask-*: calibration: an echo actor answers with cached replies instead of the aggregator
          --agent HOST:PORT      ask-remote: ask this running agent instead of starting one
          --kill-one             ask-fleet: kill -9 the second agent halfway through the run
          --store S              persist: sqlite, postgres or both [both]
          --iterations N         persist: measured save + recover pairs per store [20]
          --rounds N             short-lived: rounds of burners [3]
          --burner B             short-lived: sh (a copy of dash run by dash: fork, exec, exit), fork or clone (children
                                 of Native/churn.c that spin ~5 ms: with their own copied memory, or sharing the
                                 spawner's, so that their exit tears nothing down after the kernel's record) [sh]
          --tick D               progress and timeline resolution [1s]
          --no-progress          no progress line

        exit code: 0 when every threshold passed, 1 when one failed or a scenario broke, 2 for bad usage.
        """;

    public static readonly string[] Scenarios = ["update-latency", "scan", "ask-local", "ask-remote", "ask-remote-inproc", "ask-fleet", "soak", "persist", "short-lived", "churn"];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        LoadTestOptions options;
        try
        {
            options = Parse(args);
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync(e.Message).ConfigureAwait(false);
            await error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }
        var runner = Build(options)
            .WithReportFolder(options.ReportDir ?? DefaultReportDir(options.Scenario))
            .WithProgress(options.Progress ? output : null, options.Tick)
            .WithLogger(output);
        var result = await runner.RunAsync(cancellationToken).ConfigureAwait(false);
        if (!options.Progress)
        {
            foreach (var file in result.ReportFiles) await output.WriteLineAsync($"report: {file}").ConfigureAwait(false);
        }
        await output.WriteLineAsync(result.ExitCode == 0 ? "PASSED" : "FAILED").ConfigureAwait(false);
        return result.ExitCode;
    }

    public static LoadRunner Build(LoadTestOptions options) => options.Scenario switch
    {
        "update-latency" => UpdateLatencyScenario.Build(options),
        "scan" => ScanScenario.Build(options),
        "ask-local" => AskScenarios.Build(options, remote: false),
        "ask-remote" => FleetScenarios.AskRemote(options),
        "ask-remote-inproc" => AskScenarios.Build(options, remote: true),
        "ask-fleet" => FleetScenarios.AskFleet(options),
        "soak" => SoakScenario.Build(options),
        "persist" => PersistScenario.Build(options),
        "short-lived" => ShortLivedScenario.Build(options),
        "churn" => ChurnScenario.Build(options),
        _ => throw new ArgumentException($"unknown scenario {options.Scenario}"),
    };

    /// <summary>load-tests/reports/&lt;scenario&gt; of the repository around the working folder (or this build).</summary>
    public static string DefaultReportDir(string scenario)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ProcActors.sln"))) return Path.Combine(dir.FullName, "load-tests", "reports", scenario);
            }
        }
        return Path.Combine(Environment.CurrentDirectory, "load-tests", "reports", scenario);
    }

    /// <summary>The open model of a scenario: R invocations per second, or one every 1/R s when R is below one.</summary>
    public static LoadSimulation Load(LoadTestOptions options, double defaultRate, TimeSpan defaultDuration)
    {
        var duration = options.Duration ?? defaultDuration;
        if (options.Copies is { } copies) return Simulation.KeepConstant(copies, duration);
        var rate = options.Rate ?? defaultRate;
        return rate >= 1 && Math.Abs(rate - Math.Round(rate)) < 1e-9
            ? Simulation.Inject((int)Math.Round(rate), TimeSpan.FromSeconds(1), duration)
            : Simulation.Inject(1, TimeSpan.FromSeconds(1 / rate), duration);
    }

    public static LoadTestOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help") throw new ArgumentException("name a scenario");
        if (!Scenarios.Contains(args[0])) throw new ArgumentException($"unknown scenario: {args[0]} (one of {string.Join(", ", Scenarios)})");
        var o = new LoadTestOptions { Scenario = args[0] };
        for (var i = 1; i < args.Length; i++)
        {
            var name = args[i];
            o = name switch
            {
                "--procs" => o with { Procs = Int(args, ref i, 1) },
                "--groups" => o with { Groups = Int(args, ref i, 1) },
                "--duration" => o with { Duration = Span(args, ref i) },
                "--rate" => o with { Rate = Double(args, ref i, 1e-6) },
                "--copies" => o with { Copies = Int(args, ref i, 1) },
                "--warmup" => o with { WarmUp = Span(args, ref i, allowZero: true) },
                "--report-dir" => o with { ReportDir = Value(args, ref i) },
                "--churn" => o with { Churn = Double(args, ref i, 0) },
                "--threaded-every" => o with { ThreadedEvery = Int(args, ref i, 0) },
                "--root" => o with { Root = Value(args, ref i) },
                "--fixture" => o with { Fixture = Int(args, ref i, 1) },
                "--scans" => o with { Scans = Int(args, ref i, 1) },
                "--read-timeout" => o with { ReadTimeout = Span(args, ref i) },
                "--no-baseline" => o with { Baseline = false },
                "--process-exporter" => o with { ProcessExporter = Value(args, ref i) },
                "--p99-target-ms" => o with { P99TargetMs = Double(args, ref i, 0) },
                "--min-cpu-ratio" => o with { MinCpuRatio = Double(args, ref i, 0) },
                "--max-growth-pct" => o with { MaxGrowthPercent = Double(args, ref i, 0) },
                "--sample-interval" => o with { SampleInterval = Span(args, ref i) },
                "--scan-interval" => o with { ScanInterval = Span(args, ref i) },
                "--top" => o with { Top = Int(args, ref i, 1) },
                "--tick" => o with { Tick = Span(args, ref i) },
                "--store" => o with { Store = PersistScenario.ParseStore(Value(args, ref i)) },
                "--iterations" => o with { Iterations = Int(args, ref i, 1) },
                "--rounds" => o with { Rounds = Int(args, ref i, 1) },
                "--burner" => o with { Burner = BurnerKind(Value(args, ref i)) },
                "--no-progress" => o with { Progress = false },
                "--echo" => o with { Echo = true },
                "--agent" => o with { Agent = Value(args, ref i) },
                "--kill-one" => o with { KillOne = true },
                _ => throw new ArgumentException($"unknown option: {name}"),
            };
        }
        if (o.Churn > 1) throw new ArgumentException("--churn is a share of the processes, 0 to 1");
        return o;
    }

    /// <summary>30s, 2m, 500ms, 1h, 1.5s, or a TimeSpan such as 00:00:30.</summary>
    public static TimeSpan ParseSpan(string text)
    {
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) &&
                double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0)
                return TimeSpan.FromSeconds(value * seconds);
        }
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero) return span;
        throw new ArgumentException($"not a duration: {text} (e.g. 30s, 2m, 500ms)");
    }

    private static string BurnerKind(string value) =>
        value is "sh" or "fork" or "clone" ? value : throw new ArgumentException($"--burner: sh, fork or clone, not {value}");

    private static string Value(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static int Int(string[] args, ref int i, int min)
    {
        var text = Value(args, ref i);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min
            ? n : throw new ArgumentException($"{args[i - 1]} needs a whole number >= {min}, not {text}");
    }

    private static double Double(string[] args, ref int i, double min)
    {
        var text = Value(args, ref i);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= min
            ? n : throw new ArgumentException($"{args[i - 1]} needs a number >= {min}, not {text}");
    }

    private static TimeSpan Span(string[] args, ref int i, bool allowZero = false)
    {
        var span = ParseSpan(Value(args, ref i));
        return span > TimeSpan.Zero || allowZero ? span : throw new ArgumentException($"{args[i - 1]} must be longer than zero");
    }
}
