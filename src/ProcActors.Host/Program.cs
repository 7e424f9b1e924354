using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ProcActors.Actors;
using ProcActors.Tracking.Grouping;
using Prometheus;

namespace ProcActors.Host;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args is ["query", .. var query]) return await QueryCommand.RunAsync(query).ConfigureAwait(false);
        if (args is ["top", .. var top]) return await TopCommand.RunAsync(top).ConfigureAwait(false);
        AgentOptions options;
        IProcNamer namer;
        try
        {
            options = CommandLine.Parse(args);
            if (options.Help)
            {
                Console.Out.Write(CommandLine.Usage());
                return 0;
            }
            if (options.Version)
            {
                Console.Out.WriteLine($"procactors version {AgentVersion.Current}");
                return 0;
            }
            namer = AgentComposition.CreateNamer(options);
            options.Persistence.Prepare();
        }
        catch (Exception ex) when (ex is UsageException or ConfigException or Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"procactors: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        return options.OnceToStdoutDelay is { } delay
            ? await RunOnceAsync(options, namer, delay).ConfigureAwait(false)
            : await ServeAsync(options, namer).ConfigureAwait(false);
    }

    private static async Task<int> ServeAsync(AgentOptions options, IProcNamer namer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        ConfigureLogging(builder.Logging, options);
        builder.WebHost.UseUrls(ListenAddress.ToUrl(options.ListenAddress));
        builder.Services.AddAgent(options, AgentComposition.CreateSettings(options, namer, scanPeriodically: true));
        FleetComposition.AddFleet(builder.Services, options);

        var app = builder.Build();
        FleetComposition.MapFleet(app);
        var registry = app.Services.GetRequiredService<CollectorRegistry>();
        var store = app.Services.GetRequiredService<NodeViewStore>();
        app.MapMetrics(options.TelemetryPath, registry);
        app.MapGet("/", () => Results.Content(StatusPage.Render(store.Current, options.TelemetryPath), "text/html; charset=utf-8"));
        try
        {
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"procactors: cannot listen on {options.ListenAddress}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>-once-to-stdout-delay: scan, wait, scan again, print the metrics text, exit.</summary>
    private static async Task<int> RunOnceAsync(AgentOptions options, IProcNamer namer, TimeSpan delay)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        ConfigureLogging(builder.Logging, options);
        builder.Services.AddAgent(options, AgentComposition.CreateSettings(options, namer, scanPeriodically: false));
        using var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var registry = host.Services.GetRequiredService<CollectorRegistry>();
        var store = host.Services.GetRequiredService<NodeViewStore>();
        var scanner = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<ScannerActor>().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(delay + TimeSpan.FromMinutes(2));

        scanner.Tell(ScanNow.Instance);
        await store.WaitForCycleAsync(1, timeout.Token).ConfigureAwait(false);
        await Task.Delay(delay, timeout.Token).ConfigureAwait(false);
        scanner.Tell(ScanNow.Instance);
        await store.WaitForCycleAsync(2, timeout.Token).ConfigureAwait(false);

        await using (var stdout = Console.OpenStandardOutput())
        {
            await registry.CollectAndExportAsTextAsync(stdout, timeout.Token).ConfigureAwait(false);
        }
        await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        return 0;
    }

    /// <summary>Logs go to stderr so that -once-to-stdout-delay's stdout holds only the metrics.</summary>
    private static void ConfigureLogging(ILoggingBuilder logging, AgentOptions options)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o => o.SingleLine = true);
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(options.Debug ? LogLevel.Debug : LogLevel.Information);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    }
}

/// <summary>Go listen addresses (":9256", "host:9256", "[::1]:9256") as ASP.NET Core URLs.</summary>
public static class ListenAddress
{
    public static string ToUrl(string address) =>
        address.StartsWith(':') ? $"http://0.0.0.0{address}" : $"http://{address}";
}
