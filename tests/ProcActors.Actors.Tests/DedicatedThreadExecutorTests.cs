using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using ProcActors.Actors.Threading;

namespace ProcActors.Actors.Tests;

public sealed class DedicatedThreadExecutorTests
{
    [DllImport("libc", SetLastError = true)]
    private static extern int gettid();

    private static (long RunNs, long Switches) ThreadCost(int tid)
    {
        var runNs = long.Parse(File.ReadAllText($"/proc/self/task/{tid}/schedstat").Split(' ')[0]);
        var switches = File.ReadLines($"/proc/self/task/{tid}/status")
            .Where(l => l.Contains("ctxt_switches", StringComparison.Ordinal))
            .Sum(l => long.Parse(l.Split(':')[1].Trim()));
        return (runNs, switches);
    }

    [Fact]
    public void Work_runs_in_order_on_the_executor_s_own_thread_not_the_pool()
    {
        var executor = new DedicatedThreadExecutor("test", threads: 1);
        var order = new ConcurrentQueue<int>();
        var threads = new ConcurrentDictionary<int, bool>();
        using var done = new CountdownEvent(1000);
        for (var i = 0; i < 1000; i++)
        {
            var n = i;
            executor.Execute(new ActionRunnable(() =>
            {
                order.Enqueue(n);
                threads[Environment.CurrentManagedThreadId] = Thread.CurrentThread.IsThreadPoolThread;
                done.Signal();
            }));
        }
        Assert.True(done.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal(Enumerable.Range(0, 1000), order);
        var only = Assert.Single(threads);
        Assert.False(only.Value);
        executor.Shutdown();
    }

    [Fact]
    public void A_run_that_throws_does_not_stop_the_thread()
    {
        var executor = new DedicatedThreadExecutor("test", threads: 1);
        using var ran = new ManualResetEventSlim();
        executor.Execute(new ActionRunnable(() => throw new InvalidOperationException("a bug")));
        executor.Execute(new ActionRunnable(ran.Set));
        Assert.True(ran.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        executor.Shutdown();
    }

    [Fact]
    public void Shutdown_runs_what_was_queued_then_refuses_new_work()
    {
        var executor = new DedicatedThreadExecutor("test", threads: 2);
        using var gate = new ManualResetEventSlim();
        var ran = 0;
        // Both threads held, then more work queued behind them: all of it runs although shutdown comes first.
        for (var i = 0; i < 2; i++)
            executor.Execute(new ActionRunnable(() => { gate.Wait(); Interlocked.Increment(ref ran); }));
        for (var i = 0; i < 10; i++)
            executor.Execute(new ActionRunnable(() => Interlocked.Increment(ref ran)));
        executor.Shutdown();
        Assert.Throws<RejectedExecutionException>(() => executor.Execute(new ActionRunnable(() => { })));
        gate.Set();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref ran) < 12 && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
        Assert.Equal(12, Volatile.Read(ref ran));
        Assert.Equal(0, executor.Pending);
    }

    [Fact]
    public void An_idle_executor_thread_neither_wakes_nor_spins()
    {
        var executor = new DedicatedThreadExecutor("test", threads: 1);
        var tid = 0;
        using var ran = new ManualResetEventSlim();
        executor.Execute(new ActionRunnable(() => { tid = gettid(); ran.Set(); }));
        Assert.True(ran.Wait(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Thread.Sleep(50); // let it go back to sleep
        var before = ThreadCost(tid);
        Thread.Sleep(500);
        var after = ThreadCost(tid);
        // Asleep on its monitor the whole time: no wake-up (a polling wait would switch), no CPU (a spinning one would
        // run). A wake-up costs microseconds; one is allowed for a signal the runtime sends every thread.
        Assert.True(after.Switches - before.Switches <= 1, $"{after.Switches - before.Switches} context switches while idle");
        Assert.True(after.RunNs - before.RunNs < 1_000_000, $"{after.RunNs - before.RunNs} ns on a CPU while idle");
        executor.Shutdown();
    }

    [Fact]
    public async Task An_actor_system_runs_its_actors_internal_ones_included_on_the_executor()
    {
        // As hocon/cluster.hocon configures the cluster's actor system: the default dispatcher on the executor and the
        // internal dispatcher an alias of it, so that both kinds of actors share one thread.
        var config = ConfigurationFactory.ParseString("""
            akka.actor.default-dispatcher.executor = "ProcActors.Actors.Threading.DedicatedThreadExecutorConfigurator, ProcActors.Actors"
            akka.actor.internal-dispatcher = "akka.actor.default-dispatcher"
            akka.stdout-loglevel = WARNING
            """);
        var system = ActorSystem.Create("executor-test", config);
        var echo = system.ActorOf(Props.Create(() => new CurrentThreadActor()));
        var threads = new HashSet<Thread>();
        for (var i = 0; i < 20; i++)
            threads.Add(await echo.Ask<Thread>("which", TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        var thread = Assert.Single(threads);
        Assert.Equal("akka-dispatch", thread.Name);
        Assert.Same(system.Dispatchers.Lookup("akka.actor.default-dispatcher"), system.Dispatchers.Lookup("akka.actor.internal-dispatcher"));
        // The system ended, its thread ends too: a cluster system is replaced by a new one each time its node is
        // downed, which must not leave a thread behind each time.
        await system.Terminate();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "the executor's thread outlived its actor system");
    }

    private sealed class CurrentThreadActor : ReceiveActor
    {
        public CurrentThreadActor() => ReceiveAny(_ => Sender.Tell(Thread.CurrentThread));
    }
}
