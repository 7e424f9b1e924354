namespace ProcActors.Host.Tests;

/// <summary>The query verb's failures: one clear line on stderr and a non-zero exit, never a stack trace.</summary>
public sealed class QueryCommandTests
{
    [Fact]
    public async Task No_agent_there_is_one_line_and_exit_1()
    {
        var port = Testing.ServedProcess.FreePort();
        var (code, stdout, stderr) = await FleetEndToEndTests.CliAsync("query", "nodes", "--agent", $"127.0.0.1:{port}", "--timeout", "2s");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"procactors query: no agent answered at 127.0.0.1:{port} within 2 s (is it running with --remote 127.0.0.1:{port}?)", stderr.Trim());
    }

    [Theory]
    [InlineData("query", "frobnicate")]
    [InlineData("query", "group")]
    [InlineData("query", "groups", "--cluster", "--node", "x")]
    [InlineData("query", "top", "--by", "temperature")]
    public async Task Misuse_is_a_usage_message_and_exit_2(params string[] args)
    {
        var (code, _, stderr) = await FleetEndToEndTests.CliAsync(args);
        Assert.Equal(2, code);
        Assert.StartsWith("procactors query: ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--remote", "nohost")]
    [InlineData("--remote", "127.0.0.1:99999")]
    [InlineData("--seed-nodes", "akka.tcp://other@127.0.0.1:4053")]
    public void Bad_cluster_addresses_are_usage_errors(string flag, string value)
    {
        var error = Assert.Throws<UsageException>(() => CommandLine.Parse([flag, value]));
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_flags_bind_the_fleet_options()
    {
        var options = CommandLine.Parse(["--remote", "0.0.0.0:4100", "--remote-public", "web-01.example", "--seed-nodes",
            "10.0.0.1:4053, akka.tcp://procactors@10.0.0.2:4053", "--node-name", "web-01"]);
        var fleet = FleetComposition.CreateOptions(options)!;
        Assert.Equal(new Fleet.ClusterEndpoint("web-01.example", 4100), fleet.Advertised);
        Assert.Equal([new Fleet.ClusterEndpoint("10.0.0.1", 4053), new Fleet.ClusterEndpoint("10.0.0.2", 4053)], fleet.Seeds);
        Assert.Equal("web-01", fleet.NodeName);
        Assert.Null(FleetComposition.CreateOptions(CommandLine.Parse(["--remote", "none"])));
        Assert.Equal(Fleet.FleetOptions.DefaultRemote, CommandLine.Parse([]).Remote);
    }

    [Fact]
    public void Plain_tcp_goes_through_the_direct_transport_unless_asked_and_tls_through_dotnetty()
    {
        Assert.Equal(Fleet.RemoteTransport.Direct, FleetComposition.CreateOptions(CommandLine.Parse([]))!.Transport);
        Assert.Equal(Fleet.RemoteTransport.DotNetty, FleetComposition.CreateOptions(CommandLine.Parse(["--remote-transport", "dotnetty"]))!.Transport);
        var direct = Fleet.FleetConfig.Build(FleetComposition.CreateOptions(CommandLine.Parse([]))!);
        Assert.Equal(typeof(ProcActors.Protocol.DirectTcpTransport).FullName + ", ProcActors.Protocol", direct.GetString("akka.remote.dot-netty.tcp.transport-class"));
        // Without the key Akka's reference configuration applies: DotNetty's TcpTransport.
        var dotnetty = Fleet.FleetConfig.Build(FleetComposition.CreateOptions(CommandLine.Parse(["--remote-transport=dotnetty"]))!);
        Assert.False(dotnetty.HasPath("akka.remote.dot-netty.tcp.transport-class"));
        Assert.Contains("direct or dotnetty", Assert.Throws<UsageException>(() => CommandLine.Parse(["--remote-transport", "udp"])).Message, StringComparison.Ordinal);
    }
}
