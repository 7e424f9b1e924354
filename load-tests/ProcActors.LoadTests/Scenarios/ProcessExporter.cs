using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>
/// Debian's prometheus-process-exporter as the baseline: started on a free 127.0.0.1 port, it scans the process
/// table on every scrape of /metrics. Its CPU is read from /proc/&lt;its pid&gt;/stat (utime + stime). Disposing kills
/// it, and only it (by its pid, through the Process object that started it).
/// </summary>
public sealed class ProcessExporter : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ProcessExporter(Process process, int port)
    {
        _process = process;
        Port = port;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static async Task<ProcessExporter> StartAsync(string binary, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.ArgumentList.Add("-web.listen-address");
        info.ArgumentList.Add($"127.0.0.1:{port}");
        var exporter = new ProcessExporter(Process.Start(info) ?? throw new InvalidOperationException($"cannot start {binary}"), port);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (exporter._process.HasExited) throw new InvalidOperationException($"process-exporter exited with {exporter._process.ExitCode}:\n{exporter.Output}");
            try
            {
                // The landing page, not /metrics: readiness must not cost a scan.
                await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"), cancellationToken).ConfigureAwait(false);
                return exporter;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
        await exporter.DisposeAsync().ConfigureAwait(false);
        throw new TimeoutException($"process-exporter did not serve within 15 s:\n{exporter.Output}");
    }

    /// <summary>One scrape, hence one full scan; returns the size of the exposition.</summary>
    public async Task<long> ScrapeAsync(CancellationToken cancellationToken)
    {
        var text = await Http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{Port}/metrics"), cancellationToken).ConfigureAwait(false);
        return text.Length;
    }

    /// <summary>Its CPU time so far (user + system), in microseconds, at the clock-tick resolution of /proc (10 ms).</summary>
    public long CpuMicros()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // Fields after the command name, which is in parentheses and may contain spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = ulong.Parse(fields[11], CultureInfo.InvariantCulture) + ulong.Parse(fields[12], CultureInfo.InvariantCulture);
        return (long)(ticks * 1_000_000 / (ulong)Procfs.ClockTicks.PerSecond);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
