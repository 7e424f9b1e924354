using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using ProcActors.Actors.Persistence;
using ProcActors.Actors.Pipeline;
using ProcActors.Procfs;
using ProcActors.Procfs.Taskstats;
using ProcActors.Tracking;
using ProcActors.Tracking.Exits;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Actors;

/// <summary>
/// Scans the process source on an interval, off the actor thread, into the bounded channel. One scan runs at a
/// time; a tick that finds a scan still running (because the consumers hold the channel full, or the scan is slow)
/// is counted as a skipped interval. A failed scan is logged and the next tick scans again.
/// </summary>
public sealed class ScannerActor : ReceiveActor, IWithTimers
{
    private readonly AgentSettings _settings;
    private readonly IAgentTelemetry _telemetry;
    private readonly ProcScanner _scanner;
    private readonly IProcSource _source;
    private readonly ChannelProcSink _sink;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _aggregator;
    private readonly IActorRef _router;
    private readonly ExitAttributor? _exitAttributor;
    private readonly List<ExitRecord> _exitRecords = [];
    private readonly List<ProcExit> _exits = [];

    /// <summary>
    /// Records waiting that start a pass between scans: ~2 ms of work each (~2 µs a record), ten a second at 10,000
    /// exits a second, none on a machine with fewer exits than this per interval; a scan attributes at most about as
    /// many.
    /// </summary>
    internal const int AheadBacklog = 500;
    private readonly IReaperSink? _reaper;
    private readonly ExitTeardownSink? _teardown;
    private readonly ScanThread _thread = new("procactors-scan");
    private long _cycle;
    private long _skipped;
    private bool _scanning;
    private bool _takingAhead;
    private bool _scanAfterTakingAhead;
    private bool _scanRequested;
    private bool _ready;
    private ReplaceNamer? _replacement;

    public ScannerActor(AgentSettings settings, ChannelWriter<ScanBatch> writer, IAgentTelemetry telemetry, IActorRef aggregator, IActorRef router)
    {
        _settings = settings;
        _telemetry = telemetry;
        _scanner = new ProcScanner(settings.Namer, settings.Scanner);
        _source = settings.CreateSource();
        _sink = new ChannelProcSink(writer, settings.BatchSize);
        _aggregator = aggregator;
        _router = router;
        if (settings.Exits?.Reader is not null)
        {
            _teardown = new ExitTeardownSink(settings.TicksPerSecond);
            _exitAttributor = new ExitAttributor(settings.Namer, settings.Scanner) { Teardown = _teardown };
        }
        _reaper = settings.Exits?.Mode == Exits.ExitAccountingMode.Children ? new ReapedChildrenSink(settings.TicksPerSecond) : (IReaperSink?)_teardown;

        Receive<RestorePoint>(Resume);
        Receive<Status.Failure>(failure =>
        {
            _log.Error(failure.Cause, "No restore point from the aggregator: starting with fresh counters");
            Resume(new RestorePoint(null));
        });
        Receive<ScanTick>(_ =>
        {
            if (!_ready) return;
            if (_scanning) _skipped++;
            // A pass of exit records takes milliseconds: the scan starts right after it, on time for all purposes.
            else if (_takingAhead) _scanAfterTakingAhead = true;
            else StartScan();
        });
        // Asked for explicitly: a request during a scan is served right after it, never dropped.
        Receive<ScanNow>(_ =>
        {
            if (_scanning || _takingAhead || !_ready) _scanRequested = true;
            else StartScan();
        });
        // The scanner is not touched while its thread works: a new namer waits for the scan's (or the pass's) end.
        Receive<ReplaceNamer>(replace =>
        {
            if (_scanning || _takingAhead) _replacement = replace;
            else Rename(replace.Namer);
        });
        Receive<ScanFinished>(finished =>
        {
            _scanning = false;
            AfterWork();
            if (finished.Failure is not null) _log.Error(finished.Failure, "Scan {0} failed", finished.Cycle);
            if (_scanRequested)
            {
                _scanRequested = false;
                StartScan();
            }
            else
            {
                TakeExitsAheadIfPiledUp();
            }
        });
        Receive<TakeExitsAheadNow>(_ => TakeExitsAhead());
        Receive<TakenAhead>(taken =>
        {
            _takingAhead = false;
            AfterWork();
            if (taken.Failure is not null) _log.Error(taken.Failure, "Attributing exit records between scans failed");
            if (_scanAfterTakingAhead || _scanRequested)
            {
                _scanAfterTakingAhead = _scanRequested = false;
                StartScan();
            }
            else
            {
                TakeExitsAheadIfPiledUp();
            }
        });
    }

    private void AfterWork()
    {
        if (_replacement is { } replacement) Rename(replacement.Namer);
        _replacement = null;
    }

    /// <summary>
    /// Exit records pile up between scans on a busy machine (50,000 in a 5 s interval at 10,000 exits a second): they
    /// are attributed in passes on the scan thread as they come, between scans, against the registry as the last scan
    /// left it, exactly as the next scan would have, and their exits are sent to the group actors at once as exits of
    /// the scan to come (ahead of its samples). That scan then only has the last records to attribute and its cycle
    /// only the last exits to apply, so a churning machine does not make the scans or the cycles slower.
    /// </summary>
    private void TakeExitsAhead()
    {
        if (!_ready || _scanning || _takingAhead || _exitAttributor is null || _settings.Exits?.Reader is not { } reader) return;
        _takingAhead = true;
        var nextCycle = _cycle + 1;
        _thread.Run(() =>
            {
                var cpu = ThreadCpuClock.Now();
                _exitRecords.Clear();
                reader.Drain(_exitRecords);
                _exits.Clear();
                _exitAttributor.TakeAhead(_exitRecords, _scanner.Registry, _source.BootTimeSeconds ?? 0, _settings.TicksPerSecond, _exits);
                // Sent now as exits of the scan to come, ahead of its samples: the group actors apply them between scans.
                _sink.ObserveExits(_exits);
                _sink.WriteExitsAhead(nextCycle);
                _settings.Exits!.AddAheadCpu(ThreadCpuClock.Now() - cpu);
            })
            .PipeTo(Self, success: () => new TakenAhead(null), failure: ex => new TakenAhead(ex));
    }

    /// <summary>After a scan or a pass: records that came while it ran found their signal spent (the thread was busy).</summary>
    private void TakeExitsAheadIfPiledUp()
    {
        if (_settings.Exits?.Reader is { Backlog: >= AheadBacklog }) TakeExitsAhead();
    }

    private sealed record TakenAhead(Exception? Failure);

    /// <summary>Sent by the exit reader's thread when records pile up.</summary>
    private sealed class TakeExitsAheadNow
    {
        public static readonly TakeExitsAheadNow Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(AgentSettings settings, ChannelWriter<ScanBatch> writer, IAgentTelemetry telemetry, IActorRef aggregator, IActorRef router) =>
        Akka.Actor.Props.Create(() => new ScannerActor(settings, writer, telemetry, aggregator, router));

    /// <summary>The first scan waits for what the aggregator restored, so that no counter is counted twice or lost.</summary>
    protected override void PreStart()
    {
        var self = Self;
        _settings.Exits?.Reader?.OnBacklog(AheadBacklog, () => self.Tell(TakeExitsAheadNow.Instance));
        if (_settings.Snapshots is null) Resume(new RestorePoint(null));
        else _aggregator.Ask<RestorePoint>(GetRestorePoint.Instance, Timeout.InfiniteTimeSpan).PipeTo(Self);
    }

    protected override void PostStop() => _thread.Dispose();

    private void Resume(RestorePoint point)
    {
        if (_ready) return;
        if (point.Snapshot is { } snapshot)
        {
            var sameBoot = snapshot.IsSameBoot(_source.BootTimeSeconds);
            if (sameBoot && snapshot.LastScanUptimeTicks is { } uptime) _scanner.Resume(uptime);
            if (!sameBoot) _log.Info("The machine booted since the snapshot was saved: group counters continue, process baselines are dropped");
            // Told before the first scan starts, so the router has the groups before the first batch.
            _router.Tell(new RestoreGroups(snapshot.Groups, sameBoot ? snapshot.Processes : []));
        }
        _ready = true;
        if (_settings.ScanInterval is { } interval)
            Timers.StartPeriodicTimer("scan", ScanTick.Instance, TimeSpan.Zero, interval);
        if (_scanRequested)
        {
            _scanRequested = false;
            StartScan();
        }
    }

    /// <summary>New rules for the scans and for the exit records alike (records were named by the rules of the start).</summary>
    private void Rename(IProcNamer namer)
    {
        _scanner.ReplaceNamer(namer);
        _exitAttributor?.ReplaceNamer(namer);
    }

    private void StartScan()
    {
        _scanning = true;
        var cycle = ++_cycle;
        // Counts travel as deltas: the view adds them to what it restored, so a restart never sets them back.
        var skipped = _skipped;
        _skipped = 0;
        // A dedicated thread: the scan blocks on the channel when consumers fall behind, and must not hold a pool thread.
        _thread.Run(() => Scan(cycle, skipped))
            .PipeTo(Self, success: () => new ScanFinished(cycle, null), failure: ex => new ScanFinished(cycle, ex));
    }

    private void Scan(long cycle, long skipped)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        var cpuStart = ThreadCpuClock.Now();
        _sink.Begin(cycle);
        DeliverExits();
        _reaper?.BeginScan(_sink);
        var result = _scanner.Scan(_source, _reaper ?? (IProcSink)_sink);
        if (_reaper is not null)
        {
            _exits.Clear();
            _reaper.EndScan(result.Error is null, _scanner.Registry, _exits);
            if (_teardown is not null) _settings.Exits!.TeardownNanos = (long)_teardown.AddedNanos;
            _sink.ObserveExits(_exits);
        }
        var duration = Stopwatch.GetElapsedTime(start);
        _telemetry.ScanCompleted(duration, ThreadCpuClock.Now() - cpuStart + result.ReaderCpu);
        _sink.Complete(new CycleEnd(cycle, start, startedAt, duration, result, skipped));
    }

    /// <summary>
    /// Exits received since the last scan, attributed against the registry as the last scan left it and sent ahead
    /// of this scan's samples: a process that exited before this scan reads /proc is counted by its record.
    /// </summary>
    private void DeliverExits()
    {
        if (_exitAttributor is null || _settings.Exits?.Reader is not { } reader) return;
        _exitRecords.Clear();
        _exits.Clear();
        reader.Drain(_exitRecords);
        _exitAttributor.Attribute(_exitRecords, _scanner.Registry, _source.BootTimeSeconds ?? 0, _settings.TicksPerSecond, _exits);
        _sink.ObserveExits(_exits);
    }
}

public static class ScannerActorHostingExtensions
{
    public static AkkaConfigurationBuilder AddScannerActor(
        this AkkaConfigurationBuilder builder, AgentSettings settings, ChannelWriter<ScanBatch> writer, IAgentTelemetry telemetry) =>
        builder.WithActors((system, registry) =>
            registry.Register<ScannerActor>(system.ActorOf(
                ScannerActor.Props(settings, writer, telemetry, registry.Get<AggregatorActor>(), registry.Get<GroupRouterActor>()), "scanner")));
}
