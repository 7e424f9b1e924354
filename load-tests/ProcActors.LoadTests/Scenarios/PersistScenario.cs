using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence;
using Akka.Persistence.Hosting;
using Akka.Persistence.Sql.Hosting;
using Microsoft.Data.Sqlite;
using ProcActors.Actors.Persistence;
using ProcActors.LoadTests.Runner;
using ProcActors.Testing;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>Which SQL snapshot store(s) persist runs against.</summary>
public enum PersistStore
{
    Sqlite,
    Postgres,
    Both,
}

/// <summary>
/// persist: how long the agent takes to save its state and to read it back, with N tracked processes. The real
/// pipeline (<see cref="PipelineHost"/>, <c>ConfigureProcActors</c>) over an in-memory table, with snapshots on
/// (<see cref="SnapshotSettings.For"/>, never due by cycle count) and the SQL snapshot store configured exactly as
/// the host configures it (<c>WithSqlPersistence(..., PersistenceMode.SnapshotStore, autoInitialize: true)</c> plus
/// hocon/persistence.hocon; SQLite in WAL mode). Scans until the view tracks all N processes, then each invocation
/// is two steps: <c>save</c> asks the aggregator <see cref="SaveSnapshotNow"/> and waits for
/// <see cref="SnapshotSaved"/> (what a graceful shutdown waits for); <c>recover</c> sends a fresh
/// <see cref="LoadSnapshot"/> for the same persistence id to the snapshot store and waits for the
/// <see cref="AgentSnapshot"/> with all N processes (what a start waits for before its first scan). SQLite uses a temp
/// file; PostgreSQL a throw-away server of its own (scripts/test-postgres.sh on a free port), stopped at the end.
/// </summary>
public static class PersistScenario
{
    public const string Name = "persist";
    public const string SaveStep = "save";
    public const string RecoverStep = "recover";
    public const string SnapshotBytes = "snapshot size (ProcActorsSerializer)";
    public const string RecoveredProcesses = "processes in the recovered snapshot";
    public const string BuildMetric = "AgentSnapshot.From (test thread)";
    public const string SerializeMetric = "serialize snapshot (test thread)";
    public const string DeserializeMetric = "deserialize snapshot (test thread)";

    /// <summary>Loose targets at 10k processes: a graceful stop or a start must not wait seconds on the store.</summary>
    public const double DefaultTargetMs = 2_000;

    public static string ScenarioName(PersistStore store) => store == PersistStore.Sqlite ? "persist-sqlite" : "persist-postgres";

    public static PersistStore ParseStore(string text) => text switch
    {
        "sqlite" => PersistStore.Sqlite,
        "postgres" => PersistStore.Postgres,
        "both" => PersistStore.Both,
        _ => throw new ArgumentException($"--store is sqlite, postgres or both, not {text}"),
    };

    public static LoadRunner Build(LoadTestOptions options)
    {
        var synthetic = UpdateLatencyScenario.Synthetic(options) with { Churn = 0 };
        var stores = options.Store == PersistStore.Both ? [PersistStore.Sqlite, PersistStore.Postgres] : new[] { options.Store };
        var target = options.P99TargetMs ?? DefaultTargetMs;
        var scenarios = stores.Select(store => Create(store, synthetic, options, target)).ToArray();
        return LoadRunner.RegisterScenarios(scenarios)
            .WithTestName(Name)
            .WithNote("table", $"{synthetic.Processes} in-memory processes in {synthetic.Groups} groups, every {synthetic.ThreadedEvery}th with 4 threads; no scan while measuring")
            .WithNote("save", "Ask(SaveSnapshotNow) of the aggregator → SnapshotSaved(Ok: true): AgentSnapshot.From on the aggregator, serialization and the INSERT in the snapshot store, closed model, one at a time")
            .WithNote("recover", "LoadSnapshot(latest) to the snapshot store → LoadSnapshotResult holding an AgentSnapshot with all processes: the SELECT and deserialization")
            .WithNote("stores", "SQLite: a temp file, WAL, Cache=Shared, as the host; PostgreSQL: a throw-away local server (scripts/test-postgres.sh, fsync=off, synchronous_commit=off)");
    }

    public static Threshold[] Thresholds(double targetMs, int processes) =>
    [
        StepP99(SaveStep, targetMs),
        StepP99(RecoverStep, targetMs),
        Threshold.Create("no failed save or recover", s => s.Fail.Request.Count == 0 && s.Ok.Request.Count > 0, s => $"{s.Fail.Request.Count} failed of {s.AllRequestCount}"),
        Threshold.Create($"every recovered snapshot holds all {processes} processes",
            s => s.Metric(RecoveredProcesses) is { Count: > 0 } m && m.Min == processes && m.Max == processes,
            s => s.Metric(RecoveredProcesses) is { } m ? $"min {m.Min}, max {m.Max}" : "none recovered"),
    ];

    private static Threshold StepP99(string step, double targetMs) =>
        Threshold.Create($"{step} p99 <= {Format.Num(targetMs)} ms",
            s => s.Step(step) is { Ok.Request.Count: > 0 } x && x.Ok.Latency.Percent99 <= targetMs,
            s => s.Step(step) is { } x ? $"{Format.Num(x.Ok.Latency.Percent99)} ms" : "no request");

    private static ScenarioProps Create(PersistStore store, SyntheticOptions synthetic, LoadTestOptions options, double target)
    {
        var state = new State(store);
        var timeout = TimeSpan.FromSeconds(30);
        return Scenario.Create(ScenarioName(store), async context =>
            {
                var ct = context.CancellationToken;
                var host = state.Host!;
                var save = await Step.Run(SaveStep, context, async () =>
                {
                    var saved = await host.Aggregator.Ask<SnapshotSaved>(SaveSnapshotNow.Instance, timeout, ct).ConfigureAwait(false);
                    return saved.Ok ? Response.Ok("SnapshotSaved", state.Bytes) : Response.Fail("save failed", saved.Error);
                }).ConfigureAwait(false);
                if (save.IsError) return save;
                return await Step.Run(RecoverStep, context, async () =>
                {
                    var answer = await state.SnapshotStore.Ask<object>(
                        new LoadSnapshot(state.PersistenceId, SnapshotSelectionCriteria.Latest, long.MaxValue), timeout, ct).ConfigureAwait(false);
                    var completed = Stopwatch.GetTimestamp();
                    switch (answer)
                    {
                        case LoadSnapshotResult { Snapshot.Snapshot: AgentSnapshot snapshot }:
                            context.Metrics.Record(RecoveredProcesses, snapshot.Processes.Count);
                            return snapshot.Processes.Count == synthetic.Processes
                                ? Response.Ok("LoadSnapshotResult", state.Bytes, completedAt: completed)
                                : Response.Fail("incomplete", $"{snapshot.Processes.Count} processes instead of {synthetic.Processes}", completedAt: completed);
                        case LoadSnapshotResult { Snapshot: null }:
                            return Response.Fail("no snapshot", "the store has no snapshot for " + state.PersistenceId, completedAt: completed);
                        case LoadSnapshotFailed failed:
                            return Response.Fail("load failed", failed.Cause.Message, completedAt: completed);
                        default:
                            return Response.Fail("unexpected", answer.GetType().Name, completedAt: completed);
                    }
                }).ConfigureAwait(false);
            })
            .WithInit(async context =>
            {
                var clock = Stopwatch.StartNew();
                await state.StartStoreAsync(context.Logger, context.CancellationToken).ConfigureAwait(false);
                context.Metrics.Set("store ready (incl. server start)", clock.Elapsed.TotalMilliseconds, "ms");
                clock.Restart();
                var snapshots = SnapshotSettings.For(PipelineHost.NodeName, snapshotEveryCycles: int.MaxValue);
                state.PersistenceId = snapshots.PersistenceId;
                state.Host = await PipelineHost.StartAsync(synthetic, scanInterval: null, cancellationToken: context.CancellationToken,
                    snapshots: snapshots, configure: state.ConfigurePersistence).ConfigureAwait(false);
                state.SnapshotStore = Akka.Persistence.Persistence.Instance.Apply(state.Host.System).SnapshotStoreFor(null);
                // Scan until the view tracks the whole table (the first scan already should).
                for (var scans = 0; state.Host.Store.Current.Counters.ProcessesTracked != synthetic.Processes; scans++)
                {
                    if (scans >= 10) throw new InvalidOperationException($"the view tracks {state.Host.Store.Current.Counters.ProcessesTracked} processes after 10 scans, not {synthetic.Processes}");
                    await state.Host.WarmAsync(1, context.CancellationToken).ConfigureAwait(false);
                }
                context.Metrics.Set("pipeline start and first scans", clock.Elapsed.TotalMilliseconds, "ms");
                var view = state.Host.Store.Current;
                context.Metrics.Set("processes tracked in the view", view.Counters.ProcessesTracked);
                context.Metrics.Set("groups in the view", view.Groups.Count);

                // The size of what is stored, and what building, serializing and reading it back costs on one thread.
                // Three rounds, the last one reported: the first pays for JIT and the serializer's metadata.
                var serializer = new ProcActorsSerializer((ExtendedActorSystem)state.Host.System);
                for (var round = 0; round < 3; round++)
                {
                    var build = Stopwatch.GetTimestamp();
                    var snapshot = AgentSnapshot.From(view, DateTimeOffset.UtcNow);
                    var built = Stopwatch.GetTimestamp();
                    var bytes = serializer.ToBinary(snapshot);
                    var serialized = Stopwatch.GetTimestamp();
                    var back = (AgentSnapshot)serializer.FromBinary(bytes, serializer.Manifest(snapshot));
                    var deserialized = Stopwatch.GetTimestamp();
                    if (back.Processes.Count != synthetic.Processes) throw new InvalidOperationException($"the serializer round trip kept {back.Processes.Count} processes");
                    state.Bytes = bytes.Length;
                    context.Metrics.Set(SnapshotBytes, bytes.Length, "B");
                    context.Metrics.Set("snapshot size per process", (double)bytes.Length / Math.Max(1, synthetic.Processes), "B");
                    context.Metrics.Set(BuildMetric + ", warm", Stopwatch.GetElapsedTime(build, built).TotalMilliseconds, "ms");
                    context.Metrics.Set(SerializeMetric + ", warm", Stopwatch.GetElapsedTime(built, serialized).TotalMilliseconds, "ms");
                    context.Metrics.Set(DeserializeMetric + ", warm", Stopwatch.GetElapsedTime(serialized, deserialized).TotalMilliseconds, "ms");
                }
                await context.Logger.WriteLineAsync($"{ScenarioName(store)}: {view.Counters.ProcessesTracked} processes tracked, snapshot {state.Bytes} bytes").ConfigureAwait(false);
            })
            .WithClean(async context =>
            {
                try
                {
                    if (state.Host is { } host)
                    {
                        state.Host = null;
                        context.Metrics.Set("snapshots saved (aggregator counter)", host.Store.Current.Counters.SnapshotsSaved);
                        context.Metrics.Set("snapshot failures (aggregator counter)", host.Store.Current.Counters.SnapshotFailures);
                        await host.DisposeAsync().ConfigureAwait(false);
                    }
                }
                finally
                {
                    await state.StopStoreAsync(context.Logger).ConfigureAwait(false);
                }
            })
            .WithWarmUpDuration(options.WarmUp ?? TimeSpan.FromSeconds(2))
            .WithLoadSimulations(Simulation.IterationsForConstant(1, options.Iterations))
            .WithThresholds(Thresholds(target, synthetic.Processes));
    }

    /// <summary>One store: its set-up, the pipeline over it, and what must be torn down.</summary>
    private sealed class State(PersistStore store)
    {
        private string? _sqliteFile;
        private string? _pgDirectory;
        private int _pgPort;
        private bool _pgStarted;

        public PipelineHost? Host { get; set; }

        public IActorRef SnapshotStore { get; set; } = ActorRefs.Nobody;

        public string PersistenceId { get; set; } = "";

        public long Bytes { get; set; }

        public string ConnectionString { get; private set; } = "";

        public async Task StartStoreAsync(TextWriter logger, CancellationToken cancellationToken)
        {
            if (store == PersistStore.Sqlite)
            {
                _sqliteFile = Path.Combine(Path.GetTempPath(), $"procactors-persist-{Guid.NewGuid():N}.db");
                // As PersistenceOption.Sqlite and Prepare: a shared-cache connection string, and write-ahead logging.
                ConnectionString = new SqliteConnectionStringBuilder { DataSource = _sqliteFile, Cache = SqliteCacheMode.Shared }.ToString();
                await using var connection = new SqliteConnection(ConnectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA journal_mode=WAL;";
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await logger.WriteLineAsync($"persist-sqlite: {_sqliteFile}").ConfigureAwait(false);
                return;
            }
            _pgDirectory = Path.Combine(Path.GetTempPath(), $"procactors-persist-pg-{Guid.NewGuid():N}");
            _pgPort = ServedProcess.FreePort();
            ConnectionString = $"Host=127.0.0.1;Port={_pgPort};Username=postgres;Database=postgres;Timeout=5;Command Timeout=30";
            _pgStarted = true; // stop it even when the start went half-way
            await RunScriptAsync("start", cancellationToken).ConfigureAwait(false);
            await logger.WriteLineAsync($"persist-postgres: own PostgreSQL server on 127.0.0.1:{_pgPort} in {_pgDirectory}").ConfigureAwait(false);
        }

        /// <summary>As AgentComposition.ConfigurePersistence.</summary>
        public void ConfigurePersistence(AkkaConfigurationBuilder builder)
        {
            var provider = store == PersistStore.Sqlite ? LinqToDB.ProviderName.SQLiteMS : LinqToDB.ProviderName.PostgreSQL15;
            builder.WithSqlPersistence(ConnectionString, provider, PersistenceMode.SnapshotStore, autoInitialize: true);
            builder.AddHocon(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "persistence.hocon"))), HoconAddMode.Prepend);
        }

        public async Task StopStoreAsync(TextWriter logger)
        {
            if (_sqliteFile is not null)
            {
                SqliteConnection.ClearAllPools();
                // What the file says after the snapshot store's own writes, not what a connection of ours was told.
                await logger.WriteLineAsync($"persist-sqlite: after the run the file's header says journal mode {SqliteFileHeader.JournalMode(_sqliteFile)}").ConfigureAwait(false);
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                {
                    try
                    {
                        File.Delete(_sqliteFile + suffix);
                    }
                    catch (IOException e)
                    {
                        await logger.WriteLineAsync($"persist-sqlite: cannot delete {_sqliteFile}{suffix}: {e.Message}").ConfigureAwait(false);
                    }
                }
                _sqliteFile = null;
            }
            if (_pgDirectory is not null)
            {
                try
                {
                    if (_pgStarted) await RunScriptAsync("stop", CancellationToken.None).ConfigureAwait(false);
                }
                catch (InvalidOperationException e)
                {
                    await logger.WriteLineAsync($"persist-postgres: {e.Message}").ConfigureAwait(false);
                }
                finally
                {
                    _pgStarted = false;
                    if (Directory.Exists(_pgDirectory)) Directory.Delete(_pgDirectory, recursive: true);
                    _pgDirectory = null;
                }
            }
        }

        private async Task RunScriptAsync(string action, CancellationToken cancellationToken)
        {
            var info = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { Script(), action, _pgDirectory!, _pgPort.ToString(CultureInfo.InvariantCulture) }) info.ArgumentList.Add(arg);
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await output.ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0) throw new InvalidOperationException($"scripts/test-postgres.sh {action} failed (exit {process.ExitCode}): {error.Trim()}");
        }

        private static string Script()
        {
            foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    var script = Path.Combine(dir.FullName, "scripts", "test-postgres.sh");
                    if (File.Exists(script)) return script;
                }
            }
            throw new FileNotFoundException("scripts/test-postgres.sh not found above the working folder or this build");
        }
    }
}
