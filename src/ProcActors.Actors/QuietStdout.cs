using Akka.Actor;
using Akka.Event;

namespace ProcActors.Actors;

/// <summary>
/// Keeps an agent's stdout empty while an actor system stops (under systemd, journald reads the logs from stderr and
/// anything on stdout is noise). Akka sets its stdout logger up when its loggers stop, at the level the event stream
/// has then, not at <c>akka.stdout-loglevel</c>: so what is logged after that ("Remoting shut down.", coordinated
/// shutdown's phases) would print at INFO. Just before the system terminates, its event stream is lowered to warnings.
/// </summary>
public static class QuietStdout
{
    public static void OnTerminate(ActorSystem system) =>
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "quiet-stdout", () =>
        {
            system.EventStream.SetLogLevel(LogLevel.WarningLevel);
            return Task.FromResult(Akka.Done.Instance);
        });
}
