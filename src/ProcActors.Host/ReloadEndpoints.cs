using System.Runtime.InteropServices;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProcActors.Actors;
using Prometheus;

namespace ProcActors.Host;

/// <summary>Wires the ConfigReloader to SIGHUP and, with -web.enable-lifecycle, to POST /-/reload.</summary>
public static class ReloadEndpoints
{
    /// <summary>The returned registration must live as long as the app: disposing it restores SIGHUP's default (exit).</summary>
    public static PosixSignalRegistration MapConfigReload(this WebApplication app, AgentOptions options)
    {
        var actors = app.Services.GetRequiredService<ActorRegistry>();
        var reloader = new ConfigReloader(
            options.ConfigPath,
            namer => actors.Get<ScannerActor>().Tell(new ReplaceNamer(namer), Akka.Actor.ActorRefs.NoSender),
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ProcActors.Reload"),
            app.Services.GetRequiredService<CollectorRegistry>());
        if (options.WebEnableLifecycle)
        {
            app.MapPost("/-/reload", () => reloader.Reload() is { } error
                ? Results.Text($"failed to reload config: {error}\n", statusCode: StatusCodes.Status500InternalServerError)
                : Results.Ok());
        }
        return PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            reloader.Reload();
        });
    }
}
