using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using ProcActors.Protocol;
using ProcActors.Testing;

namespace ProcActors.Actors.Tests;

/// <summary>
/// Akka.Remote over <see cref="DirectTcpTransport"/> between real actor systems on loopback ports: with itself, with
/// DotNetty's transport in both directions (the frame layout is the same), with big and many messages, and against
/// raw sockets that send what no Akka peer sends.
/// </summary>
public sealed class DirectTcpTransportTests : IAsyncDisposable
{
    private readonly List<ActorSystem> _systems = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var system in _systems) await system.Terminate();
    }

    private (ActorSystem System, int Port) Start(string name, bool direct)
    {
        var port = ServedProcess.FreePort();
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp {
              hostname = 127.0.0.1
              port = {{port}}
              maximum-frame-size = 512000b
            }
            """);
        if (direct) config = ConfigurationFactory.ParseString(DirectTcpTransport.Hocon).WithFallback(config);
        var system = ActorSystem.Create(name, config);
        _systems.Add(system);
        system.ActorOf(Props.Create(() => new Echo()), "echo");
        return (system, port);
    }

    private static Task<object> AskEcho(ActorSystem from, string to, int port, object message) =>
        from.ActorSelection($"akka.tcp://{to}@127.0.0.1:{port}/user/echo").Ask<object>(message, TimeSpan.FromSeconds(10));

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Messages_cross_between_either_transport_both_ways_including_ones_bigger_than_the_read_buffer(bool askerDirect, bool answererDirect)
    {
        var (asker, askerPort) = Start("asker", askerDirect);
        var (_, answererPort) = Start("answerer", answererDirect);

        Assert.Equal("ping", await AskEcho(asker, "answerer", answererPort, "ping"));
        // 300 KB: many times the 16 KiB the reader starts with, under the 512,000-byte frame limit.
        var big = new string('x', 300_000);
        Assert.Equal(big, await AskEcho(asker, "answerer", answererPort, big));
        // The other way: the answerer opens its own association back.
        var back = _systems[1];
        Assert.Equal("pong", await AskEcho(back, "asker", askerPort, "pong"));
    }

    [Fact]
    public async Task Many_large_messages_arrive_whole_and_in_order_when_the_socket_cannot_take_them_at_once()
    {
        var (sender, _) = Start("sender", direct: true);
        var (receiver, receiverPort) = Start("receiver", direct: true);
        var probe = new TaskCompletionSource<List<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        const int count = 400;
        receiver.ActorOf(Props.Create(() => new Collector(count, probe)), "collector");
        var target = await sender.ActorSelection($"akka.tcp://receiver@127.0.0.1:{receiverPort}/user/collector").ResolveOne(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        // 400 × 100 KB sent at once: 40 MB, far more than a loopback socket's buffer, so most writes are partial
        // or wait for the I/O thread.
        var filler = new string('y', 100_000);
        for (var i = 0; i < count; i++) target.Tell($"{i}:{filler}");

        var order = await probe.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(0, count), order);
    }

    [Fact]
    public async Task A_frame_over_the_limit_closes_only_its_connection_and_the_system_goes_on_serving()
    {
        var (_, port) = Start("agent", direct: true);
        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            var header = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(header, 100_000_000);
            await raw.GetStream().WriteAsync(header, TestContext.Current.CancellationToken);
            var buffer = new byte[16];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            // The agent closes the connection: the read ends (0 bytes or a reset), it does not hang.
            var ended = await ReadUntilClosed(raw.GetStream(), buffer, timeout.Token);
            Assert.True(ended, "the connection with the oversized frame was not closed");
        }
        using (var rude = new TcpClient())
        {
            // A peer that connects and leaves without a word.
            await rude.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        }

        var (client, _) = Start("client", direct: true);
        Assert.Equal("still here", await AskEcho(client, "agent", port, "still here"));
    }

    [Fact]
    public async Task The_io_thread_sleeps_while_an_open_association_is_idle()
    {
        var (asker, _) = Start("asker", direct: true);
        var (_, port) = Start("answerer", direct: true);
        Assert.Equal("ping", await AskEcho(asker, "answerer", port, "ping"));

        var (threads, before) = IoThreadSwitches();
        Assert.True(threads >= 2, $"{threads} transport I/O threads, expected one per actor system");
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        var woken = IoThreadSwitches().Switches - before;

        // Both systems' I/O threads together: a loop polling with a 100 ms timeout would wake 60 times in this window.
        Assert.True(woken <= 12, $"the I/O threads woke {woken} times in 3 s with nothing to send");
    }

    [Fact]
    public void Tls_is_refused_with_a_clear_message()
    {
        var config = ConfigurationFactory.ParseString("enable-ssl = on, port = 0, hostname = 127.0.0.1, maximum-frame-size = 128000b");
        var system = ActorSystem.Create("tls-refused", "akka.loglevel = OFF");
        _systems.Add(system);
        var error = Assert.Throws<ConfigurationException>(() => new DirectTcpTransport(system, config));
        Assert.Contains("enable-ssl", error.Message, StringComparison.Ordinal);
    }

    private static async Task<bool> ReadUntilClosed(NetworkStream stream, byte[] buffer, CancellationToken token)
    {
        try
        {
            while (await stream.ReadAsync(buffer, token) > 0)
            {
                // the agent never answers a peer that has not shaken hands; keep reading until it closes
            }
            return true;
        }
        catch (IOException)
        {
            return true; // reset
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>This process's transport I/O threads (other tests' systems may add some) and their voluntary context switches.</summary>
    private static (int Threads, long Switches) IoThreadSwitches()
    {
        long total = 0;
        var threads = 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() != "akka-remote-io") continue;
                var line = File.ReadLines(Path.Combine(task, "status")).First(l => l.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal));
                total += long.Parse(line.AsSpan("voluntary_ctxt_switches:".Length).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                threads++;
            }
            catch (IOException)
            {
                // the thread ended meanwhile
            }
        }
        return (threads, total);
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }

    private sealed class Collector : ReceiveActor
    {
        private readonly List<int> _seen = [];

        public Collector(int count, TaskCompletionSource<List<int>> done) =>
            Receive<string>(message =>
            {
                var text = message.AsSpan();
                _seen.Add(int.Parse(text[..text.IndexOf(':')], System.Globalization.CultureInfo.InvariantCulture));
                if (text.Length - text.IndexOf(':') - 1 != 100_000) done.TrySetException(new InvalidOperationException($"message {_seen[^1]} arrived cut"));
                if (_seen.Count == count) done.TrySetResult(_seen);
            });
    }
}
