using Akka.Actor;
using ProcActors.Protocol;

namespace ProcActors.Fleet.Tests;

/// <summary>What one host sends the fleet per cycle: the figure the README's cost estimate rests on.</summary>
public sealed class SummarySizeTests
{
    [Fact]
    public async Task A_summary_of_100_groups_and_60_processes_stays_under_20_kB()
    {
        var system = ActorSystem.Create("summary-size");
        try
        {
            var serializer = new ProtocolSerializer((ExtendedActorSystem)system);
            var random = new Random(42);
            var groups = Enumerable.Range(0, 100).Select(i => FleetStateTests.Group($"service-{i:D3}", random.Next(1, 50), random.NextDouble() * 100,
                (ulong)random.NextInt64(1 << 20, 1L << 34), DateTimeOffset.UtcNow.AddDays(-random.Next(30)))).ToList();
            var top = Enumerable.Range(0, 60).Select(i => new ProcessSummary(1000 + i, $"service-{i:D3}", $"service-{i:D3}",
                [$"/usr/bin/service-{i:D3}", "--config", "/etc/service.conf"], DateTimeOffset.UtcNow, random.NextDouble() * 100,
                (ulong)random.NextInt64(1 << 20, 1L << 34), random.NextDouble() * 1e6)).ToList();
            var summary = new NodeSummary("web-01.example.com", "akka.tcp://procactors@10.0.0.1:4053", "0.1.0", 12345, DateTimeOffset.UtcNow, 2500, groups, top);

            var bytes = serializer.ToBinary(summary).Length;

            TestContext.Current.SendDiagnosticMessage($"summary: {bytes} bytes");
            Assert.InRange(bytes, 10_000, 20_000);
        }
        finally
        {
            await system.Terminate();
        }
    }
}
