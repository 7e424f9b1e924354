using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using ProcActors.Actors.Exits;

namespace ProcActors.Actors;

/// <summary>
/// Owns the exit source beside the scanner: says at start which exit accounting runs and why, stops the kernel
/// reader's thread with the actor system, and reports what the reader cannot fix itself (records lost to a full
/// socket buffer, a record layout it refuses). The scanner drains the reader's records before each scan.
/// </summary>
public sealed class ExitSourceActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(30);
    private readonly ExitSource _source;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _lostReported;
    private bool _refusalReported;

    public ExitSourceActor(ExitSource source)
    {
        _source = source;
        Receive<CheckExitSource>(_ => Check());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ExitSource source) => Akka.Actor.Props.Create(() => new ExitSourceActor(source));

    protected override void PreStart()
    {
        _log.Info("Exit accounting: {0} ({1})", _source.Mode.ToString().ToLowerInvariant(), _source.Reason);
        if (_source.Reader is not null) Timers.StartPeriodicTimer("check", CheckExitSource.Instance, CheckEvery);
    }

    protected override void PostStop() => _source.Dispose();

    private void Check()
    {
        var lost = _source.Lost;
        if (lost > _lostReported)
        {
            _log.Warning("{0} exit record losses (socket buffer overflow or full queue) since start: the work of those processes is not counted", lost);
            _lostReported = lost;
        }
        if (_source.Reader?.Refusal is { } refusal && !_refusalReported)
        {
            _log.Error("Exit records are no longer read: {0}", refusal);
            _refusalReported = true;
        }
    }

    private sealed record CheckExitSource : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly CheckExitSource Instance = new();
    }
}

public static class ExitSourceActorHostingExtensions
{
    public static AkkaConfigurationBuilder AddExitSourceActor(this AkkaConfigurationBuilder builder, ExitSource? source) =>
        source is null
            ? builder
            : builder.WithActors((system, registry) => registry.Register<ExitSourceActor>(system.ActorOf(ExitSourceActor.Props(source), "exits")));
}
