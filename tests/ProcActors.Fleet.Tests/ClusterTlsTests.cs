using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Cluster;
using ProcActors.Client;
using ProcActors.Protocol;
using ProcActors.Testing;

namespace ProcActors.Fleet.Tests;

/// <summary>
/// TLS between agents on 127.0.0.1 with real cluster actor systems built as the agent builds them: two nodes with the
/// fleet's self-signed certificate form a cluster; a plain-TCP node and a node with another certificate never join;
/// the typed client gets in with the certificate and not without it.
/// </summary>
public sealed class ClusterTlsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procactors-tls-").FullName;
    private readonly List<ActorSystem> _systems = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_systems.Select(s => s.Terminate()));
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Nodes_with_the_fleet_certificate_form_a_cluster_and_a_plain_node_or_a_stranger_cannot_join()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        var fleet = RemoteTls.Load(SelfSigned("fleet", "secret"), "secret");
        var stranger = RemoteTls.Load(SelfSigned("stranger", "other"), "other");
        var seed = new ClusterEndpoint("127.0.0.1", ServedProcess.FreePort());

        var a = Start("a", seed, seed, fleet);
        var store = new FleetViewStore("a");
        a.ActorOf(GatewayActor.Props(store, ActorRefs.Nobody, "a", TimeSpan.FromSeconds(1.5)), GatewayActor.Name);
        Start("b", new ClusterEndpoint("127.0.0.1", ServedProcess.FreePort()), seed, fleet);
        Assert.StartsWith("akka.ssl.tcp://", Cluster.Get(a).SelfAddress.ToString(), StringComparison.Ordinal);
        await Until(() => Up(a) == 2, TimeSpan.FromSeconds(20), ct);
        var joined = clock.Elapsed;

        var plain = Start("plain", new ClusterEndpoint("127.0.0.1", ServedProcess.FreePort()), seed, null);
        var other = Start("other", new ClusterEndpoint("127.0.0.1", ServedProcess.FreePort()), seed, stranger);
        // Longer than the two TLS nodes took to join, with seed-node retries every 5 s on the other two.
        await Task.Delay(TimeSpan.FromSeconds(7), ct);
        Assert.Equal(2, Up(a));
        Assert.Equal(["a", "b"], Cluster.Get(a).State.Members.Select(m => FleetRoles.NodeName(m.Roles)).Order(StringComparer.Ordinal));
        Assert.NotEqual(MemberStatus.Up, Cluster.Get(plain).SelfMember.Status);
        Assert.NotEqual(MemberStatus.Up, Cluster.Get(other).SelfMember.Status);

        var agent = seed.ToString();
        await using (var client = await ProcActorsClient.ConnectAsync(agent, fleet, TimeSpan.FromSeconds(5), ct))
        {
            Assert.Equal("a", (await client.GetNodesAsync(ct)).AnsweredBy);
        }
        await Assert.ThrowsAsync<ProcActorsException>(() => ProcActorsClient.ConnectAsync(agent, TimeSpan.FromSeconds(2), ct));
        TestContext.Current.SendDiagnosticMessage($"TLS nodes joined after {joined.TotalSeconds:0.0} s; test body {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private ActorSystem Start(string name, ClusterEndpoint remote, ClusterEndpoint seed, RemoteTls? tls)
    {
        var options = new FleetOptions { Remote = remote, Seeds = [seed], NodeName = name, Tls = tls };
        var system = ActorSystem.Create(ClusterEndpoint.SystemName, FleetConfig.Setup(options));
        _systems.Add(system);
        return system;
    }

    private static int Up(ActorSystem system) => Cluster.Get(system).State.Members.Count(m => m.Status == MemberStatus.Up);

    private static async Task Until(Func<bool> condition, TimeSpan limit, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < limit, $"not within {limit.TotalSeconds} s");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>What `openssl req -x509 -newkey ec … ; openssl pkcs12 -export …` makes (README), made here without openssl.</summary>
    private string SelfSigned(string name, string password)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=procactors-{name}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(_dir, name + ".p12");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }
}
