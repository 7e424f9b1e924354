using System.Diagnostics;
using System.Globalization;
using ProcActors.LoadTests.Runner;
using ProcActors.Procfs;
using ProcActors.Procfs.Taskstats;
using ProcActors.Tracking;
using ProcActors.Tracking.Exits;
using ProcActors.Tracking.Grouping;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>
/// short-lived: processes born and gone between two scans, on the real kernel. Each iteration is one round: a
/// shell of ours runs --procs burners back to back (a copy of /bin/sh under a unique name, each a few ms of CPU),
/// while /proc is scanned every --scan-interval by two LocalTrackers over ProcfsReader, one fed the taskstats exit
/// records as the agent is, one without (process-exporter's view). Per round: the burners' group CPU of each
/// against the spawner's RUSAGE_CHILDREN (the shell's <c>times</c>). A second scenario, exit-rate, makes threads
/// start and end at --rate a second for --duration in this process and counts the exit records received and lost.
/// </summary>
public static class ShortLivedScenario
{
    public const string Name = "short-lived";
    public const string Rate = "exit-rate";
    public const string WithRecords = "group CPU / RUSAGE_CHILDREN, with exit records";
    public const string RecordsOnly = "group CPU / RUSAGE_CHILDREN, exit records without the teardown from the reaper";
    public const string WithoutRecords = "group CPU / RUSAGE_CHILDREN, scans alone";
    public const string Lost = "exit records lost";
    public const string Missing = "thread exits without a record";
    public const string Achieved = "thread exits per second achieved";

    public static LoadRunner Build(LoadTestOptions options)
    {
        var state = new State(options);
        var rounds = options.Rounds;
        var accuracy = Scenario.Create(Name, async context =>
            {
                var (withRecords, recordsOnly, without, rusage) = await state.RoundAsync(context.CancellationToken).ConfigureAwait(false);
                if (rusage <= 0) return Response.Fail("no CPU", "the spawner reported no children's CPU");
                context.Metrics.Record(WithRecords, withRecords / rusage * 100, "%");
                context.Metrics.Record(RecordsOnly, recordsOnly / rusage * 100, "%");
                context.Metrics.Record(WithoutRecords, without / rusage * 100, "%");
                context.Metrics.Record("RUSAGE_CHILDREN", rusage, "s");
                return Response.Ok("round");
            })
            .WithInit(_ =>
            {
                state.Start();
                return Task.CompletedTask;
            })
            .WithWarmUpDuration(TimeSpan.Zero)
            .WithLoadSimulations(Simulation.IterationsForConstant(1, rounds))
            .WithThresholds(
                Threshold.Create("with exit records the group's CPU is within 2 % of RUSAGE_CHILDREN (median of the rounds)",
                    s => s.Metric(WithRecords) is { } m && Math.Abs(m.Percent50 - 100) <= 2,
                    s => $"{Format.Num(s.Metric(WithRecords)?.Percent50 ?? 0)} % (records without the teardown: {Format.Num(s.Metric(RecordsOnly)?.Percent50 ?? 0)} %, scans alone: {Format.Num(s.Metric(WithoutRecords)?.Percent50 ?? 0)} %)"),
                Threshold.Create("nothing counted twice: at most 102 % in any round (a record shows no more than its task's CPU; a tick for a task that blocked, and the spawner's own rounding)",
                    s => s.Metric(WithRecords) is { } m && m.Max <= 102,
                    s => $"max {Format.Num(s.Metric(WithRecords)?.Max ?? 0)} %"));

        var rate = options.Rate ?? 10_000;
        var duration = options.Duration ?? TimeSpan.FromSeconds(30);
        var exitRate = Scenario.Create(Rate, context =>
            {
                var result = state.ThreadExits((int)rate, duration, context.CancellationToken);
                context.Metrics.Set(Lost, result.Lost);
                context.Metrics.Set(Missing, result.Missing);
                context.Metrics.Set(Achieved, result.PerSecond, "/s");
                return Task.FromResult(Response.Ok("run"));
            })
            .WithInit(_ =>
            {
                state.Start();
                return Task.CompletedTask;
            })
            .WithClean(_ =>
            {
                state.Dispose();
                return Task.CompletedTask;
            })
            .WithWarmUpDuration(TimeSpan.Zero)
            .WithLoadSimulations(Simulation.IterationsForConstant(1, 1))
            .WithThresholds(
                Threshold.Create("no exit record lost",
                    s => s.Metric(Lost) is { Last: 0 } && s.Metric(Missing) is { Last: 0 },
                    s => $"{Format.Num(s.Metric(Lost)?.Last ?? -1)} overflows, {Format.Num(s.Metric(Missing)?.Last ?? -1)} exits without a record, at {Format.Num(s.Metric(Achieved)?.Last ?? 0)}/s"),
                Threshold.Create($"the workload reached 90 % of {Format.Num(rate)} thread exits a second",
                    s => s.Metric(Achieved) is { } m && m.Last >= 0.9 * rate,
                    s => $"{Format.Num(s.Metric(Achieved)?.Last ?? 0)}/s"));

        return LoadRunner.RegisterScenarios(accuracy, exitRate)
            .WithTestName(Name)
            .WithNote("workload", $"{options.Procs ?? 1500} burners per round ({BurnerNote(options.Burner)}), {rounds} rounds, scans every {Format.Span(options.ScanInterval)}")
            .WithNote("exit-rate", $"threads of this process started and joined at {Format.Num(rate)}/s for {Format.Span(duration)}; records counted by the taskstats reader");
    }

    private const int Loops = 1500;

    /// <summary>churn.c's loop rounds for ~5 ms of CPU here.</summary>
    private const string SpinRounds = "14000000";

    private static string BurnerNote(string burner) => burner switch
    {
        "sh" => $"dash run by dash, {Loops} loop rounds: ~5 ms CPU with its fork and exec",
        "fork" => $"fork() children of churn.c spinning {SpinRounds} rounds, ~5 ms",
        _ => $"clone(CLONE_VM|CLONE_VFORK) children of churn.c spinning {SpinRounds} rounds, ~5 ms: no memory of their own to tear down",
    };

    private sealed class State(LoadTestOptions options) : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("procactors-short-lived-").FullName;
        private readonly List<ExitRecord> _records = [];
        private ExitRecordReader? _reader;
        private string _burner = string.Empty;
        private string _spawner = string.Empty;
        private readonly List<ExitRecord> _copy = [];
        private LocalTracker? _with;
        private LocalTracker? _recordsOnly;
        private LocalTracker? _without;
        private ProcfsReader? _scanWith;
        private ProcfsReader? _scanRecordsOnly;
        private ProcfsReader? _scanWithout;
        private string _group = string.Empty;

        public void Start()
        {
            if (_reader is not null) return;
            _reader = ExitRecordReader.TryStart(out var error) ?? throw new InvalidOperationException($"taskstats exit records are not available: {error}");
            var name = "pa" + Guid.NewGuid().ToString("N")[..10];
            _group = name;
            _burner = Path.Combine(_dir, name);
            // sh: the spawner is a copy of /bin/sh too, under a name of its own, so that it is tracked in a group of
            // its own (the reaper whose cutime holds the burners' teardown) and its own CPU is not in theirs.
            _spawner = Path.Combine(_dir, name + "s");
            if (options.Burner == "sh")
            {
                foreach (var copy in (string[])[_burner, _spawner])
                {
                    File.Copy("/bin/sh", copy);
                    File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserExecute);
                }
            }
            else ChurnScenario.CompileAsync(Path.Combine(AppContext.BaseDirectory, "Native", "churn.c"), _burner, CancellationToken.None).GetAwaiter().GetResult();
            var namer = ProcNamesNamer.Create(name + "," + name + "s", null);
            _with = new LocalTracker(namer) { Teardown = new ExitTeardownSink(ClockTicks.PerSecond) };
            _recordsOnly = new LocalTracker(namer);
            _without = new LocalTracker(namer);
            _scanWith = new ProcfsReader("/proc", new ProcfsOptions());
            _scanRecordsOnly = new ProcfsReader("/proc", new ProcfsOptions());
            _scanWithout = new ProcfsReader("/proc", new ProcfsOptions());
            Scan();
        }

        public async Task<(double With, double RecordsOnly, double Without, double Rusage)> RoundAsync(CancellationToken cancellationToken)
        {
            var before = (Cpu(_with!), Cpu(_recordsOnly!), Cpu(_without!));
            var count = options.Procs ?? 1500;
            using var spawner = Process.Start(SpawnerInfo(count))!;
            var output = spawner.StandardOutput.ReadToEndAsync(cancellationToken);
            while (!spawner.HasExited)
            {
                await Task.Delay(options.ScanInterval, cancellationToken).ConfigureAwait(false);
                Scan();
            }
            await spawner.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            // Records of the last exits arrive within milliseconds; the next scan takes them.
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            Scan();
            return (Cpu(_with!) - before.Item1, Cpu(_recordsOnly!) - before.Item2, Cpu(_without!) - before.Item3, SpawnedSeconds(await output.ConfigureAwait(false)));
        }

        /// <summary>
        /// sh: the shell runs the burners and prints its children's CPU (times). fork and clone: churn.c's one
        /// worker makes them and its main process prints RUSAGE_CHILDREN (the worker's own CPU in it counts too:
        /// the worker has the burners' name, so it is in their group).
        /// </summary>
        private ProcessStartInfo SpawnerInfo(int count)
        {
            if (options.Burner == "sh")
            {
                var script = $"i=0; while [ $i -lt {count} ]; do {_burner} -c 'j=0; while [ $j -lt {Loops} ]; do j=$((j+1)); done'; i=$((i+1)); done; times";
                return new ProcessStartInfo(_spawner) { RedirectStandardOutput = true, ArgumentList = { "-c", script } };
            }
            var info = new ProcessStartInfo(_burner) { RedirectStandardOutput = true, ArgumentList = { "count", count.ToString(CultureInfo.InvariantCulture), "1", SpinRounds } };
            if (options.Burner == "fork") info.Environment["CHURN_FORK"] = "1";
            return info;
        }

        private double SpawnedSeconds(string output)
        {
            if (options.Burner == "sh") return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ').Sum(ShellSeconds);
            var result = ChurnScenario.ParseSpawner(output);
            return (result.ChildrenCpuMicros + result.SelfCpuMicros) / 1e6;
        }

        /// <summary>
        /// Starts and joins threads at the rate (one starter per core, each its share), then counts the exit records of
        /// this process's threads. Tids are reused within seconds, so records are counted, not distinct tids.
        /// </summary>
        public (long Lost, long Missing, double PerSecond) ThreadExits(int rate, TimeSpan duration, CancellationToken cancellationToken)
        {
            var lostBefore = _reader!.Overflows + _reader.Dropped;
            var pid = Environment.ProcessId;
            _records.Clear();
            _reader.Drain(_records);
            var starters = Environment.ProcessorCount;
            var created = new long[starters];
            var clock = Stopwatch.StartNew();
            var received = 0L;
            var workers = Enumerable.Range(0, starters).Select(index => new Thread(() =>
            {
                var share = (double)rate / starters;
                while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
                {
                    var due = (long)(clock.Elapsed.TotalSeconds * share);
                    if (created[index] >= due)
                    {
                        Thread.Sleep(1);
                        continue;
                    }
                    var thread = new Thread(static () => { }, 256 * 1024);
                    thread.Start();
                    thread.Join();
                    created[index]++;
                }
            })).ToList();
            foreach (var worker in workers) worker.Start();
            while (workers.Any(w => w.IsAlive))
            {
                received += Collect(pid);
                Thread.Sleep(10);
            }
            var elapsed = clock.Elapsed.TotalSeconds;
            Thread.Sleep(500);
            received += Collect(pid);
            var total = created.Sum();
            return (_reader.Overflows + _reader.Dropped - lostBefore, Math.Max(0, total - received), total / elapsed);
        }

        private long Collect(int pid)
        {
            _records.Clear();
            _reader!.Drain(_records);
            return _records.LongCount(r => r.Tgid == pid && r.Pid != pid);
        }

        private void Scan()
        {
            _records.Clear();
            _reader!.Drain(_records);
            _copy.Clear();
            _copy.AddRange(_records);
            _with!.Update(_scanWith!, _records);
            _recordsOnly!.Update(_scanRecordsOnly!, _copy);
            _without!.Update(_scanWithout!);
        }

        /// <summary>The burners' group (with fork and clone, churn.c's main process and worker are in it too).</summary>
        private double Cpu(LocalTracker tracker) =>
            tracker.Groups.Where(g => g.Name == _group).Sum(g => (double)(g.Counts.CpuUserTicks + g.Counts.CpuSystemTicks)) / ClockTicks.PerSecond;

        private static double ShellSeconds(string value)
        {
            var minutes = value.IndexOf('m', StringComparison.Ordinal);
            return int.Parse(value[..minutes], CultureInfo.InvariantCulture) * 60 + double.Parse(value[(minutes + 1)..^1], CultureInfo.InvariantCulture);
        }

        public void Dispose()
        {
            _reader?.Dispose();
            _reader = null;
            if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        }
    }
}
