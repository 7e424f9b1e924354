namespace ProcActors.Fleet.Tests;

public sealed class ClusterEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1:4053", "127.0.0.1", 4053)]
    [InlineData(" web-01.example:4100 ", "web-01.example", 4100)]
    [InlineData("[::1]:4053", "::1", 4053)]
    [InlineData("akka.tcp://procactors@10.0.0.2:4053", "10.0.0.2", 4053)]
    [InlineData("akka.tcp://procactors@10.0.0.2:4053/", "10.0.0.2", 4053)]
    public void Host_port_and_akka_addresses_are_accepted(string text, string host, int port) =>
        Assert.Equal(new ClusterEndpoint(host, port), ClusterEndpoint.Parse(text));

    [Theory]
    [InlineData("4053")]
    [InlineData("host:")]
    [InlineData(":4053")]
    [InlineData("host:0")]
    [InlineData("host:65536")]
    [InlineData("host:x")]
    [InlineData("akka.tcp://other@host:4053")]
    public void Anything_else_is_refused_naming_the_text(string text)
    {
        var error = Assert.Throws<FormatException>(() => ClusterEndpoint.Parse(text));
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_listens_where_asked_advertises_the_public_host_and_is_its_own_seed_when_alone()
    {
        var options = new FleetOptions { Remote = new ClusterEndpoint("0.0.0.0", 4100), PublicHost = "web-01", NodeName = "web \"01\"" };
        var config = FleetConfig.Build(options);
        Assert.Equal("0.0.0.0", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal("web-01", config.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.Equal(4100, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://procactors@web-01:4100"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(["agent", "node:web \"01\""], config.GetStringList("akka.cluster.roles"));
        Assert.Equal("keep-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(TimeSpan.FromSeconds(10), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.False(config.GetBoolean("akka.coordinated-shutdown.exit-clr"));
    }
}
