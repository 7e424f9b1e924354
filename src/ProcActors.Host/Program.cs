using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ProcActors.Actors;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Host;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args is ["query", .. var query]) return await QueryCommand.RunAsync(query).ConfigureAwait(false);
        if (args is ["top", .. var top]) return await TopCommand.RunAsync(top).ConfigureAwait(false);
        if (AgentStartup.TryPrepare(args, Console.Error, out var agent) is { } exitCode) return exitCode;
        var (options, namer, web) = agent!;
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

        return options.OnceToStdoutDelay is { } delay
            ? await RunOnceAsync(options, namer, delay).ConfigureAwait(false)
            : await ServeAsync(options, namer, web).ConfigureAwait(false);
    }

    private static async Task<int> ServeAsync(AgentOptions options, IProcNamer namer, WebConfig? web)
    {
        // A serving agent has nothing to say on stdout: its logs go to stderr (journald's format under systemd). What a
        // library still writes there goes to stderr too: Akka's stdout logger, which logs coordinated shutdown's last
        // lines at INFO once the loggers are gone, whatever akka.stdout-loglevel says (seen in CI under SIGTERM).
        Console.SetOut(Console.Error);
        var builder = WebApplication.CreateSlimBuilder(QuietHost.WebOptions);
        ConfigureLogging(builder.Logging, options);
        // Under systemd only (a no-op elsewhere): Type=notify readiness once listening, journald's log format.
        builder.Services.AddSystemd();
        builder.WebHost.UseUrls(ListenAddress.ToUrl(options.ListenAddress, WebSecurity.Scheme(web)));
        WebSecurity.ConfigureTls(builder.WebHost, web?.Tls);
        builder.Services.AddAgent(options, AgentComposition.CreateSettings(options, namer, scanPeriodically: true));
        FleetComposition.AddFleet(builder.Services, options);

        var app = builder.Build();
        var page = app.Services.GetRequiredService<MetricsPage>();
        var store = app.Services.GetRequiredService<NodeViewStore>();
        app.UseBasicAuth(web);
        FleetComposition.MapFleet(app);
        app.MapGet(options.TelemetryPath, async context =>
        {
            context.Response.ContentType = MetricsPage.ContentType;
            await page.WriteAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
        app.MapGet("/", () => Results.Content(StatusPage.Render(store.Current, options.TelemetryPath), "text/html; charset=utf-8"));
        using var reload = app.MapConfigReload(options);
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
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(QuietHost.Settings);
        ConfigureLogging(builder.Logging, options);
        builder.Services.AddAgent(options, AgentComposition.CreateSettings(options, namer, scanPeriodically: false));
        using var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var page = host.Services.GetRequiredService<MetricsPage>();
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
            await page.WriteAsync(stdout, timeout.Token).ConfigureAwait(false);
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
    public static string ToUrl(string address, string scheme = "http") =>
        address.StartsWith(':') ? $"{scheme}://0.0.0.0{address}" : $"{scheme}://{address}";
}
