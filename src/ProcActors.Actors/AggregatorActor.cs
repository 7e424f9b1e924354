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
/// from it, and keeps it in the snapshot store so that counters survive restarts. The store may be slow or down:
/// the view is served from memory regardless, failures are counted and logged, and saving resumes when it is back.
/// </summary>
public sealed class AggregatorActor : ReceiveActor, IWithStash
{
    private readonly NodeViewStore _store;
    private readonly IAgentTelemetry _telemetry;
    private readonly SnapshotSettings? _persistence;
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _saveWaiters = [];
    private CycleAssembler _assembler;
    private AgentSnapshot? _restored;
    private IActorRef _snapshots = ActorRefs.Nobody;
    private readonly SnapshotSchedule? _schedule;
    private long _saved;
    private long _failed;
    private bool _saveRequested;
    private TimeSpan _lastLatency;
    private ViewQueries? _queries;

    public AggregatorActor(NodeViewStore store, IAgentTelemetry telemetry, SnapshotSettings? persistence)
    {
        _store = store;
        _telemetry = telemetry;
        _persistence = persistence;
        _assembler = new CycleAssembler(store.Current);
        _schedule = persistence is null ? null : new SnapshotSchedule(persistence.SnapshotEveryCycles);
        if (persistence is null) Running();
        else Loading();
    }

    public IStash Stash { get; set; } = null!;

    public static Props Props(NodeViewStore store, IAgentTelemetry telemetry, SnapshotSettings? persistence) =>
        Akka.Actor.Props.Create(() => new AggregatorActor(store, telemetry, persistence));

    protected override void PreStart()
    {
        if (_persistence is null) return;
        _snapshots = Akka.Persistence.Persistence.Instance.Apply(Context.System).SnapshotStoreFor(null);
        _snapshots.Tell(new LoadSnapshot(_persistence.PersistenceId, SnapshotSelectionCriteria.Latest, long.MaxValue));
        Context.SetReceiveTimeout(_persistence.LoadTimeout);
    }

    private void Loading()
    {
        Receive<LoadSnapshotResult>(result =>
        {
            switch (result.Snapshot?.Snapshot)
            {
                case null:
                    _log.Info("No saved snapshot for {0}: starting with fresh counters", _persistence!.PersistenceId);
                    break;
                case AgentSnapshot { Version: AgentSnapshot.CurrentVersion } snapshot:
                    _restored = snapshot;
                    _schedule!.Restored(result.Snapshot.Metadata.SequenceNr);
                    _log.Info("Restored {0} groups and {1} process baselines saved at {2:u}", snapshot.Groups.Count, snapshot.Processes.Count, snapshot.SavedAt);
                    break;
                case AgentSnapshot snapshot:
                    _log.Error("The saved snapshot has version {0}, this agent reads version {1}: starting with fresh counters", snapshot.Version, AgentSnapshot.CurrentVersion);
                    break;
                default:
                    _log.Error("The saved snapshot holds a {0}, not agent state: starting with fresh counters", result.Snapshot.Snapshot.GetType().Name);
                    break;
            }
            StartRunning();
        });
        Receive<LoadSnapshotFailed>(failed =>
        {
            _log.Error(failed.Cause, "The saved snapshot cannot be read ({0}): starting with fresh counters; the next save replaces it", failed.Cause.Message);
            StartRunning();
        });
        Receive<ReceiveTimeout>(_ =>
        {
            _log.Error("The snapshot store did not answer within {0}: starting with fresh counters; saving is retried every cycle", _persistence!.LoadTimeout);
            StartRunning();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void StartRunning()
    {
        Context.SetReceiveTimeout(null);
        if (_restored is not null)
        {
            var view = _restored.ToView(_store.Current);
            _saved = view.Counters.SnapshotsSaved;
            _failed = view.Counters.SnapshotFailures;
            _assembler = new CycleAssembler(view);
            _store.Publish(view);
        }
        Become(Running);
        Stash.UnstashAll();
    }

    private void Running()
    {
        Receive<GroupReport>(report => Publish(_assembler.Add(report)));
        Receive<CycleClosed>(closed => Publish(_assembler.Close(closed)));
        Receive<GetGroups>(_ => Sender.Tell(Queries().Groups()));
        Receive<GetGroup>(query => Sender.Tell(Queries().Group(query.Name)));
        Receive<GetTop>(query => Sender.Tell(Queries().Top(query.N, query.By)));
        Receive<GetAgentStatus>(_ => Sender.Tell(Queries().Status()));
        Receive<GetRestorePoint>(_ => Sender.Tell(new RestorePoint(_restored)));
        Receive<SaveSnapshotNow>(_ =>
        {
            if (_persistence is null)
            {
                Sender.Tell(new SnapshotSaved(false, "persistence is off"));
                return;
            }
            _saveWaiters.Add(Sender);
            if (_schedule!.Saving) _saveRequested = true;
            else Save();
        });
        Receive<SaveSnapshotSuccess>(success =>
        {
            _saved++;
            var deleteUpTo = _schedule!.Succeeded(success.Metadata.SequenceNr);
            _snapshots.Tell(new DeleteSnapshots(_persistence!.PersistenceId, new SnapshotSelectionCriteria(deleteUpTo)));
            SaveCompleted(ok: true, error: null);
        });
        Receive<SaveSnapshotFailure>(failure =>
        {
            _failed++;
            _schedule!.Failed();
            _log.Warning("Saving the snapshot failed ({0}); counters are kept in memory and saving is retried next cycle", failure.Cause.Message);
            SaveCompleted(ok: false, error: failure.Cause.Message);
        });
        Receive<DeleteSnapshotsSuccess>(_ => { });
        Receive<DeleteSnapshotsFailure>(failure => _log.Warning("Deleting old snapshots failed: {0}", failure.Cause.Message));
    }

    /// <summary>The answers of the view now served, computed once per view.</summary>
    private ViewQueries Queries()
    {
        var view = _store.Current;
        if (!ReferenceEquals(_queries?.View, view)) _queries = new ViewQueries(view, AgentVersion.Current, _startedAt);
        return _queries!;
    }

    private void Publish(NodeView? view)
    {
        if (view is null || _assembler.CurrentEnd is not { } end) return;
        _lastLatency = System.Diagnostics.Stopwatch.GetElapsedTime(end.ScanStartTimestamp);
        _telemetry.ViewUpdated(_lastLatency);
        PublishCurrent();
        if (_schedule?.CycleCompleted() == true) Save();
    }

    private void PublishCurrent() =>
        _store.Publish(_assembler.Current with
        {
            Counters = _assembler.Current.Counters with { LastUpdateLatency = _lastLatency, SnapshotsSaved = _saved, SnapshotFailures = _failed },
        });

    private void Save()
    {
        var now = DateTimeOffset.UtcNow;
        var sequence = _schedule!.Start(now);
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
