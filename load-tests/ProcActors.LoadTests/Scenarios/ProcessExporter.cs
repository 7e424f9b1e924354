using System.Diagnostics;
using System.Globalization;
using ProcActors.Testing;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>
/// Debian's prometheus-process-exporter as the baseline: started on a free 127.0.0.1 port, it scans the process
/// table on every scrape of /metrics. Its CPU is read from /proc/&lt;its pid&gt;/stat (utime + stime). Disposing kills
/// it, and only it.
/// </summary>
public sealed class ProcessExporter : ServedProcess
{
    private ProcessExporter(ProcessStartInfo info, int port) : base(info, port)
    {
    }

    public static async Task<ProcessExporter> StartAsync(string binary, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var info = new ProcessStartInfo(binary);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.ArgumentList.Add("-web.listen-address");
        info.ArgumentList.Add($"127.0.0.1:{port}");
        var exporter = new ProcessExporter(info, port);
        try
        {
            // The landing page, not /metrics: readiness must not cost a scan.
            await exporter.WaitUntilServingAsync("/", TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
            return exporter;
        }
        catch
        {
            await exporter.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One scrape, hence one full scan; returns the size of the exposition.</summary>
    public async Task<long> ScrapeAsync(CancellationToken cancellationToken) =>
        (await GetAsync("/metrics", cancellationToken).ConfigureAwait(false)).Length;

    /// <summary>Its CPU time so far (user + system), in microseconds, at the clock-tick resolution of /proc (10 ms).</summary>
    public long CpuMicros()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // Fields after the command name, which is in parentheses and may contain spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = ulong.Parse(fields[11], CultureInfo.InvariantCulture) + ulong.Parse(fields[12], CultureInfo.InvariantCulture);
        return (long)(ticks * 1_000_000 / (ulong)Procfs.ClockTicks.PerSecond);
    }
}
