using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Persistence;
using ProcActors.Actors.Persistence;
using ProcActors.Actors.View;
using ProcActors.Protocol;

namespace ProcActors.Actors;

/// <summary>
/// Merges the group reports of each cycle into the node view, publishes it for /metrics, answers the Ask protocol
/// from it, and keeps it in the snapshot store so that counters survive restarts. The store may be slow, locked or
/// down, at start or later: the view is served from memory regardless. A snapshot that cannot be loaded in time is
/// loaded later and merged with what was counted meanwhile; until then nothing is saved or deleted, so what was
/// saved is never hidden or lost. An unreadable snapshot is set aside and the one before it is loaded.
/// </summary>
public sealed class AggregatorActor : ReceiveActor, IWithTimers
{
    private readonly NodeViewStore _store;
    private readonly IAgentTelemetry _telemetry;
    private readonly SnapshotSettings? _persistence;
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _saveWaiters = [];
    private readonly List<IActorRef> _restoreWaiters = [];
    private readonly SnapshotSchedule _schedule;
    private CycleAssembler _assembler;
    private AgentSnapshot? _restored;
    private IActorRef _snapshots = ActorRefs.Nobody;
    private long _saved;
    private long _failed;
    private bool _saveRequested;
    private TimeSpan _lastLatency;
    private readonly QueryCache _queries;
    /// <summary>The first scan has been let go: a snapshot loaded from now on is merged late.</summary>
    private bool _counting;
    private bool _restorePointGiven;
    private int _failedLoads;
    private long? _loadBelow;
    private long _lateSequence;
    private long _lateMergedFromCycle = long.MaxValue;

    public AggregatorActor(NodeViewStore store, IAgentTelemetry telemetry, SnapshotSettings? persistence)
    {
        _store = store;
        _telemetry = telemetry;
        _persistence = persistence;
        _queries = new QueryCache(AgentVersion.Current, _startedAt);
        _assembler = new CycleAssembler(store.Current);
        _schedule = new SnapshotSchedule(persistence?.SnapshotEveryCycles ?? int.MaxValue);
        if (persistence is null)
        {
            _schedule.NothingSaved();
            _counting = true;
        }

        Receive<GroupReport>(report => Publish(_assembler.Add(report)));
        Receive<CycleClosed>(closed => Publish(_assembler.Close(closed)));
        Receive<GetGroups>(query => Sender.Tell(QueriesOf(query.Cycle, query.Page, out var page).Groups(page)));
        Receive<GetGroup>(query => Sender.Tell(QueriesOf(query.Cycle, query.Page, out var page).Group(query.Name, page)));
        Receive<GetTop>(query => Sender.Tell(QueriesOf(query.Cycle, query.Page, out var page).Top(query.N, query.By, page)));
        Receive<GetAgentStatus>(_ => Sender.Tell(Queries().Status()));
        Receive<GetRestorePoint>(_ =>
        {
            if (_counting) GiveRestorePoint(Sender);
            else _restoreWaiters.Add(Sender);
        });
        ReceiveLoading();
        ReceiveSaving();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(NodeViewStore store, IAgentTelemetry telemetry, SnapshotSettings? persistence) =>
        Akka.Actor.Props.Create(() => new AggregatorActor(store, telemetry, persistence));

    protected override void PreStart()
    {
        if (_persistence is null) return;
        _snapshots = Akka.Persistence.Persistence.Instance.Apply(Context.System).SnapshotStoreFor(null);
        Timers.StartSingleTimer("load-timeout", LoadTimedOut.Instance, _persistence.LoadTimeout);
        Load();
    }

    private void ReceiveLoading()
    {
        Receive<StorePrepared>(_ => _snapshots.Tell(new LoadSnapshot(
            _persistence!.PersistenceId,
            _loadBelow is { } below ? new SnapshotSelectionCriteria(below) : SnapshotSelectionCriteria.Latest,
            long.MaxValue)));
        Receive<LoadSnapshotResult>(Loaded);
        Receive<LoadSnapshotFailed>(failed => LoadFailed(failed.Cause));
        Receive<StoreNotReady>(failed => LoadFailed(failed.Cause));
        Receive<RetryLoad>(_ => Load());
        Receive<LoadTimedOut>(_ =>
        {
            if (_counting) return;
            _log.Warning(
                "The saved snapshot of {0} could not be loaded within {1}: counting from zero meanwhile; it is merged when it loads, and nothing is saved or deleted until then",
                _persistence!.PersistenceId, _persistence.LoadTimeout);
            StartCounting();
        });
        Receive<RestoreMerged>(merged => _lateMergedFromCycle = merged.FromCycle);
    }

    private void ReceiveSaving()
    {
        Receive<SaveSnapshotNow>(_ =>
        {
            if (_persistence is null)
            {
                Sender.Tell(new SnapshotSaved(false, "persistence is off"));
                return;
            }
            if (!_schedule.Resolved)
            {
                Sender.Tell(new SnapshotSaved(false, "the saved snapshot is not loaded yet: saving now would hide it"));
                return;
            }
            _saveWaiters.Add(Sender);
            if (_schedule.Saving) _saveRequested = true;
            else Save();
        });
        Receive<SaveSnapshotSuccess>(success =>
        {
            _saved++;
            switch (_schedule.Succeeded(success.Metadata.SequenceNr))
            {
                case { AndOlder: true } superseded:
                    _snapshots.Tell(new DeleteSnapshots(_persistence!.PersistenceId, new SnapshotSelectionCriteria(superseded.Sequence)));
                    break;
                case { } old:
                    // By sequence number alone: the store deletes exactly that row (a criteria delete has no lower bound).
                    _snapshots.Tell(new DeleteSnapshot(new SnapshotMetadata(_persistence!.PersistenceId, old.Sequence, DateTime.MinValue)));
                    break;
            }
            SaveCompleted(ok: true, error: null);
        });
        Receive<SaveSnapshotFailure>(failure =>
        {
            _failed++;
            _schedule.Failed();
            _log.Warning("Saving the snapshot failed ({0}); counters are kept in memory and saving is retried next cycle", failure.Cause.Message);
            SaveCompleted(ok: false, error: failure.Cause.Message);
        });
        Receive<DeleteSnapshotsSuccess>(_ => { });
        Receive<DeleteSnapshotSuccess>(_ => { });
        Receive<DeleteSnapshotsFailure>(failure => _log.Warning("Deleting old snapshots failed: {0}", failure.Cause.Message));
        Receive<DeleteSnapshotFailure>(failure => _log.Warning("Deleting an old snapshot failed: {0}", failure.Cause.Message));
    }

    /// <summary>Readies the store off the actor's thread (opening a locked SQLite file waits), then asks it for the snapshot.</summary>
    private void Load()
    {
        if (_persistence!.PrepareStore is not { } prepare)
        {
            Self.Tell(StorePrepared.Instance);
            return;
        }
        Task.Run(prepare).PipeTo(Self, success: () => StorePrepared.Instance, failure: ex => new StoreNotReady(ex));
    }

    private void LoadFailed(Exception cause)
    {
        _failedLoads++;
        var delay = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, Math.Min(_failedLoads - 1, 16)), _persistence!.MaxLoadRetryInterval.TotalSeconds));
        // Logged the first time and then every tenth attempt: an outage of hours must not flood the journal.
        if (_failedLoads == 1 || _failedLoads % 10 == 0)
        {
            _log.Warning("The saved snapshot of {0} cannot be loaded yet (attempt {1}: {2}); retrying in {3}; nothing is saved or deleted until it loads",
                _persistence.PersistenceId, _failedLoads, cause.GetBaseException().Message, delay);
        }
        Timers.StartSingleTimer("load-retry", RetryLoad.Instance, delay);
    }

    private void Loaded(LoadSnapshotResult result)
    {
        // Resolved, or a late snapshot already being merged: a second answer must never be merged again.
        if (_schedule.Resolved || _lateSequence != 0) return;
        switch (result.Snapshot?.Snapshot)
        {
            case null:
                _log.Info(_loadBelow is null ? "No saved snapshot for {0}: starting with fresh counters" : "No readable snapshot for {0} before the one set aside: starting with fresh counters", _persistence!.PersistenceId);
                _schedule.NothingSaved();
                StartCounting();
                break;
            case AgentSnapshot snapshot when !_counting:
                _restored = snapshot;
                _schedule.Restored(result.Snapshot.Metadata.SequenceNr);
                _log.Info("Restored {0} groups and {1} process baselines saved at {2:u}", snapshot.Groups.Count, snapshot.Processes.Count, snapshot.SavedAt);
                var view = snapshot.ToView(_store.Current);
                _saved = view.Counters.SnapshotsSaved;
                _failed = view.Counters.SnapshotFailures;
                _assembler = new CycleAssembler(view);
                _store.Publish(view);
                StartCounting();
                break;
            case AgentSnapshot snapshot:
                MergeLate(snapshot, result.Snapshot.Metadata.SequenceNr);
                break;
            case UnreadableSnapshot unreadable:
                SetAside(result.Snapshot.Metadata.SequenceNr, unreadable.Reason, unreadable.Bytes);
                break;
            case { } other:
                SetAside(result.Snapshot.Metadata.SequenceNr, $"it holds a {other.GetType().Name}, not agent state", []);
                break;
        }
    }

    /// <summary>
    /// Loaded after counting began: the agent's own counters merge here, the groups' in their actors; saving
    /// resumes once a cycle holding the merge was published.
    /// </summary>
    private void MergeLate(AgentSnapshot snapshot, long sequence)
    {
        var sameBoot = snapshot.IsSameBoot(_assembler.Current.BootTimeSeconds);
        _log.Info("Loaded the saved snapshot of {0} late ({1:u}): merging {2} groups and {3} process baselines with what was counted since the start",
            _persistence!.PersistenceId, snapshot.SavedAt, snapshot.Groups.Count, sameBoot ? snapshot.Processes.Count : 0);
        _lateSequence = sequence;
        var saved = snapshot.Counters.ToCounters();
        _saved += saved.SnapshotsSaved;
        _failed += saved.SnapshotFailures;
        _assembler.MergeRestored(saved);
        PublishCurrent();
        ActorRegistry.For(Context.System).Get<GroupRouterActor>().Tell(new RestoreGroups(
            snapshot.Groups, sameBoot ? snapshot.Processes : [], Late: true, SavedScanUptimeTicks: sameBoot ? snapshot.LastScanUptimeTicks : null));
    }

    /// <summary>Keeps an unreadable snapshot where it is (never deleted; our saves are newer), copies it aside, and loads the one before it.</summary>
    private void SetAside(long sequence, string reason, byte[] bytes)
    {
        _schedule.SetAside(sequence);
        _loadBelow = sequence - 1;
        var copy = "not copied";
        if (_persistence!.QuarantineDirectory is { } folder && bytes.Length > 0)
        {
            try
            {
                Directory.CreateDirectory(folder);
                var path = Path.Combine(folder, $"{_persistence.PersistenceId}-{sequence}.snapshot");
                File.WriteAllBytes(path, bytes);
                copy = $"copied to {path}";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                copy = $"not copied ({ex.Message})";
            }
        }
        _log.Error("The saved snapshot cannot be read: {0} of {1} ({2}). It is set aside: kept in the store, never deleted, {3}. Loading the one before it",
            sequence, _persistence.PersistenceId, reason, copy);
        Load();
    }

    private void StartCounting()
    {
        Timers.Cancel("load-timeout");
        if (_counting) return;
        _counting = true;
        foreach (var waiter in _restoreWaiters) GiveRestorePoint(waiter);
        _restoreWaiters.Clear();
    }

    /// <summary>Once per run: a scanner restarted later must not restore the same counters again.</summary>
    private void GiveRestorePoint(IActorRef scanner)
    {
        scanner.Tell(new RestorePoint(_restorePointGiven ? null : _restored));
        _restorePointGiven = true;
    }

    /// <summary>The answers of the view now served, computed once per view.</summary>
    private ViewQueries Queries() => _queries.Of(_store.Current);

    private ViewQueries QueriesOf(long cycle, int page, out int pageToAnswer) => _queries.ForPage(_store.Current, cycle, page, out pageToAnswer);

    private void Publish(NodeView? view)
    {
        if (view is null || _assembler.CurrentEnd is not { } end) return;
        _lastLatency = System.Diagnostics.Stopwatch.GetElapsedTime(end.ScanStartTimestamp);
        _telemetry.ViewUpdated(_lastLatency);
        PublishCurrent();
        if (view.Cycle >= _lateMergedFromCycle)
        {
            _lateMergedFromCycle = long.MaxValue;
            _schedule.Restored(_lateSequence);
            _log.Info("The late snapshot is merged into every group: saving resumes");
        }
        if (_schedule.CycleCompleted()) Save();
    }

    private void PublishCurrent() =>
        _store.Publish(_assembler.Current with
        {
            Counters = _assembler.Current.Counters with { LastUpdateLatency = _lastLatency, SnapshotsSaved = _saved, SnapshotFailures = _failed },
        });

    private void Save()
    {
        var now = DateTimeOffset.UtcNow;
        var sequence = _schedule.Start(now);
        var snapshot = AgentSnapshot.From(_store.Current, now);
        _snapshots.Tell(new SaveSnapshot(new SnapshotMetadata(_persistence!.PersistenceId, sequence, now.UtcDateTime), snapshot));
    }

    private void SaveCompleted(bool ok, string? error)
    {
        PublishCurrent();
        if (_saveRequested)
        {
            // A save was asked for while an older state was being written: write the current one for the askers.
            _saveRequested = false;
            Save();
            return;
        }
        foreach (var waiter in _saveWaiters) waiter.Tell(new SnapshotSaved(ok, error));
        _saveWaiters.Clear();
    }

    private sealed record LoadTimedOut : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly LoadTimedOut Instance = new();
    }

    private sealed record RetryLoad : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly RetryLoad Instance = new();
    }

    private sealed record StorePrepared : INoSerializationVerificationNeeded
    {
        public static readonly StorePrepared Instance = new();
    }

    private sealed record StoreNotReady(Exception Cause) : INoSerializationVerificationNeeded;
}

public static class AgentVersion
{
    public static string Current { get; } =
        typeof(AgentVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}

public static class AggregatorActorHostingExtensions
{
    public static AkkaConfigurationBuilder AddAggregatorActor(
        this AkkaConfigurationBuilder builder, NodeViewStore store, IAgentTelemetry telemetry, SnapshotSettings? persistence) =>
        builder.WithActors((system, registry) =>
        {
            var aggregator = system.ActorOf(AggregatorActor.Props(store, telemetry, persistence), "aggregator");
            registry.Register<AggregatorActor>(aggregator);
            if (persistence is null) return;
            // A graceful stop writes the latest state before the snapshot store goes away.
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "save-snapshot", async () =>
            {
                try
                {
                    await aggregator.Ask<SnapshotSaved>(SaveSnapshotNow.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                }
                catch (AskTimeoutException)
                {
                    system.Log.Warning("No snapshot could be saved at shutdown within 10 s");
                }
                return Akka.Done.Instance;
            });
        });
}
