using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace ProcActors.Host;

/// <summary>
/// Host builder settings for an agent that runs for years from whatever directory it is started in (systemd: /).
/// The default builders add appsettings.json with reload on change, which puts an inotify watch on every directory
/// under the content root (65k watches and a rescan at start from /). The agent is configured by its flags, so
/// nothing is watched, and the content root is the agent's own folder rather than the working directory.
/// </summary>
internal static class QuietHost
{
    private static string[] NoReload => ["--hostBuilder:reloadConfigOnChange=false"];

    public static WebApplicationOptions WebOptions => new() { ContentRootPath = AppContext.BaseDirectory, Args = NoReload };

    public static HostApplicationBuilderSettings Settings => new() { ContentRootPath = AppContext.BaseDirectory, Args = NoReload };
}
