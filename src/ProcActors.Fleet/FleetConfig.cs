using System.Globalization;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>
/// The cluster actor system's configuration: the typed options over hocon/cluster.hocon (embedded), plus the
/// protocol's serializer binding.
/// </summary>
public static class FleetConfig
{
    public static string ClusterHocon { get; } = ReadEmbedded("cluster.hocon");

    public static Config Build(FleetOptions options)
    {
        var advertised = options.Advertised;
        var seeds = options.Seeds.Count == 0 ? [options.Advertised] : options.Seeds;
        var typed = $$"""
            akka.loggers = ["Akka.Hosting.Logging.LoggerFactoryLogger, Akka.Hosting"]
            # FleetNode runs this system's shutdown when the host stops; the process exit must not run it again late.
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            akka.remote.dot-netty.tcp {
              hostname = {{Quote(options.Remote.Host)}}
              port = {{options.Remote.Port.ToString(CultureInfo.InvariantCulture)}}
              public-hostname = {{Quote(advertised.Host)}}
            }
            akka.cluster {
              seed-nodes = [{{string.Join(", ", seeds.Select(s => Quote(s.Address(options.Tls is not null))))}}]
              roles = [{{Quote(FleetRoles.Agent)}}, {{Quote(FleetRoles.NodePrefix + options.NodeName)}}]
              split-brain-resolver.stable-after = {{((long)options.StableAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}}ms
            }
            """;
        // Plain TCP through the transport with fewer thread hand-offs unless asked otherwise; TLS through DotNetty's, which has it.
        var transport = options.Tls is not null ? RemoteTls.Hocon : options.Transport == RemoteTransport.Direct ? DirectTcpTransport.Hocon : "";
        return ConfigurationFactory.ParseString(typed + "\n" + transport)
            .WithFallback(ConfigurationFactory.ParseString(ProtocolSerializer.Hocon))
            .WithFallback(ConfigurationFactory.ParseString(ClusterHocon));
    }

    /// <summary>The cluster system's whole setup: the configuration, the TLS certificate and peer check when asked, and the given extras.</summary>
    public static ActorSystemSetup Setup(FleetOptions options, params Setup[] extras)
    {
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(Build(options)));
        if (options.Tls is { } tls) setup = setup.And(tls.Setup());
        return extras.Aggregate(setup, (all, extra) => all.And(extra));
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string ReadEmbedded(string name)
    {
        using var stream = typeof(FleetConfig).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in {typeof(FleetConfig).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
