using System.Diagnostics;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// The reference: Debian's prometheus-process-exporter (0.7.10), started by a test as a server on a free loopback
/// port and killed (only it) at the end. It has no -once-to-stdout-delay, and it reads the process table on every
/// scrape of /metrics (plus once at start-up): a scrape taken after a change to the tree has seen the change.
/// </summary>
internal sealed class ProcessExporterBaseline : ServedProcess
{
    public const string DefaultPath = "/usr/bin/prometheus-process-exporter";

    private ProcessExporterBaseline(ProcessStartInfo info, int port) : base(info, port)
    {
    }

    /// <summary>Scrapes served so far: each one was a scan of the process table.</summary>
    public int Scrapes { get; private set; }

    /// <summary>The first line of the reference's -version, for failure messages.</summary>
    public static string Version => LazyVersion.Value;

    private static readonly Lazy<string> LazyVersion = new(() =>
    {
        try
        {
            var info = new ProcessStartInfo(BinaryPath, "-version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(info)!;
            var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "process-exporter";
        }
        catch (InvalidOperationException)
        {
            return "process-exporter";
        }
    });

    private static string BinaryPath =>
        Environment.GetEnvironmentVariable("PROCESS_EXPORTER") is { Length: > 0 } configured ? configured : DefaultPath;

    /// <summary>
    /// The installed binary ($PROCESS_EXPORTER overrides the path). Debian's package is installed when missing (as
    /// .ci/run does); where it cannot be, the test is skipped with the reason, never passed without a comparison.
    /// </summary>
    public static async Task<string> RequireBinaryAsync()
    {
        var path = BinaryPath;
        var missing = path == DefaultPath ? await DebianPackages.EnsureAsync(path, "prometheus-process-exporter") : File.Exists(path) ? null : $"{path} not found";
        if (missing is not null) Assert.Skip($"ours cannot be compared with process-exporter: {missing}");
        return path;
    }

    public static async Task<ProcessExporterBaseline> StartAsync(params string[] args)
    {
        var binary = await RequireBinaryAsync();
        var port = FreePort();
        var info = new ProcessStartInfo(binary);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.ArgumentList.Add("-web.listen-address");
        info.ArgumentList.Add($"127.0.0.1:{port}");
        var exporter = new ProcessExporterBaseline(info, port);
        try
        {
            // The landing page, not /metrics: readiness must not cost a scan (scans count partial errors).
            await exporter.WaitUntilServingAsync("/", TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
            return exporter;
        }
        catch
        {
            await exporter.DisposeAsync();
            throw;
        }
    }

    /// <summary>One scrape, hence one scan of the tree as it is now.</summary>
    public async Task<MetricsText> ScrapeAsync()
    {
        var text = await GetAsync("/metrics", TestContext.Current.CancellationToken);
        Scrapes++;
        return MetricsText.Parse(text);
    }
}
