using Akka.Configuration;
using Akka.Dispatch;

namespace ProcActors.Actors.Threading;

/// <summary>
/// An Akka executor that runs a dispatcher's mailboxes on threads of its own which sleep, without spinning, until work
/// comes (<c>executor = "ProcActors.Actors.Threading.DedicatedThreadExecutorConfigurator, ProcActors.Actors"</c>,
/// thread count in <c>dedicated-thread-executor.threads</c>, 1 by default).
/// <para>
/// Why: the cluster's actor system at rest handles a few messages a second (heartbeats, gossip, the hosts'
/// summaries), and each one crosses three or four actors (endpoint reader, the receiving actor, endpoint writer). On
/// the .NET thread pool each of those hops is a work item that wakes a worker, which then asks the pool for another
/// worker in case more work follows: on a node of a 3-node cluster at rest, five pool workers switched 104 times a
/// second between them, 36 with this executor (README, "What the agent costs"). Here the whole chain runs on one
/// thread that a message wakes once. Akka's <c>fork-join-executor</c> has dedicated threads too, but they spin before
/// they sleep, which costs CPU on every wake-up of an idle system.
/// </para>
/// <para>
/// Not for actors that block: a blocked actor holds up every actor of the dispatcher. A thread that throws out of a
/// mailbox run (Akka catches actor failures itself; this is a bug in Akka or here) is logged to stderr and the thread
/// goes on with the next item.
/// </para>
/// </summary>
public sealed class DedicatedThreadExecutorConfigurator : ExecutorServiceConfigurator
{
    private readonly int _threads;

    public DedicatedThreadExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites) : base(config, prerequisites) =>
        _threads = Math.Max(1, config.GetInt("dedicated-thread-executor.threads", 1));

    public override ExecutorService Produce(string id) => new DedicatedThreadExecutor(id, _threads);
}

/// <summary>The executor behind <see cref="DedicatedThreadExecutorConfigurator"/>: one FIFO queue, N threads.</summary>
public sealed class DedicatedThreadExecutor : ExecutorService
{
    private readonly object _gate = new();
    private readonly Queue<IRunnable> _queue = new();
    private int _waiting;
    private bool _stopping;

    public DedicatedThreadExecutor(string id, int threads) : base(id)
    {
        for (var i = 0; i < threads; i++)
            new Thread(Loop) { IsBackground = true, Name = "akka-dispatch" }.Start();
    }

    /// <summary>Work queued and not yet started (for tests and diagnostics).</summary>
    public int Pending
    {
        get { lock (_gate) { return _queue.Count; } }
    }

    public override void Execute(IRunnable run)
    {
        lock (_gate)
        {
            if (_stopping)
                throw new RejectedExecutionException($"Executor {Id} is shut down");
            _queue.Enqueue(run);
            // Wake a sleeper only if there is one: a running thread takes the item on its next turn.
            if (_waiting > 0)
                Monitor.Pulse(_gate);
        }
    }

    public override void Shutdown()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
    }

    private void Loop()
    {
        while (true)
        {
            IRunnable next;
            lock (_gate)
            {
                while (_queue.Count == 0)
                {
                    if (_stopping)
                        return;
                    _waiting++;
                    Monitor.Wait(_gate);
                    _waiting--;
                }
                next = _queue.Dequeue();
            }
            try
            {
                next.Run();
            }
#pragma warning disable CA1031 // a dispatcher thread must survive whatever a runnable throws
            catch (Exception e)
#pragma warning restore CA1031
            {
                Console.Error.WriteLine($"Executor {Id}: a queued run threw, the thread goes on: {e}");
            }
        }
    }
}
