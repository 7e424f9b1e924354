using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ProcActors.Fleet;
using ProcActors.Protocol;

namespace ProcActors.Host;

/// <summary>The agent's part in the fleet, from --remote, --remote-public, --seed-nodes and --node-name.</summary>
public static class FleetComposition
{
    public static FleetOptions? CreateOptions(AgentOptions options) =>
        options.Remote is null
            ? null
            : new FleetOptions
            {
                Remote = options.Remote,
                PublicHost = options.RemotePublic,
                Seeds = options.SeedNodes,
                NodeName = options.NodeName ?? Environment.MachineName,
                Tls = options.RemoteTlsCert is { } cert ? RemoteTls.Load(cert) : null,
                // With TLS, FleetConfig uses DotNetty's transport whatever this says (AgentStartup refuses direct with it).
                Transport = options.RemoteTransport ?? RemoteTransport.Direct,
            };

    public static void AddFleet(IServiceCollection services, AgentOptions options)
    {
        if (CreateOptions(options) is { } fleet) services.AddFleet(fleet);
    }

    /// <summary>/metrics/fleet: every host's group series from this node's fleet view (404 with --remote none).</summary>
    public static void MapFleet(WebApplication app)
    {
        if (app.Services.GetService<FleetViewStore>() is not { } store) return;
        app.MapGet("/metrics/fleet", () => Results.Text(FleetMetricsText.Render(store.Current), FleetMetricsText.ContentType));
    }
}
