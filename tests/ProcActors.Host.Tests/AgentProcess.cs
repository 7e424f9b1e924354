using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ProcActors.Host.Tests;

/// <summary>The built agent executable, started by a test on a free loopback port and killed (only it) at the end.</summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AgentProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static string AgentDll => Path.Combine(AppContext.BaseDirectory, "procactors.dll");

    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(AgentDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return info;
    }

    /// <summary>Starts the agent; without a --persistence flag it keeps nothing, so tests never share a store by accident.</summary>
    public static async Task<AgentProcess> StartAsync(params string[] args)
    {
        var port = FreePort();
        string[] persistence = args.Any(a => a.TrimStart('-').StartsWith("persistence", StringComparison.Ordinal)) ? [] : ["--persistence", "none"];
        var process = Process.Start(StartInfo([.. args, .. persistence, "-web.listen-address", $"127.0.0.1:{port}"]))!;
        var agent = new AgentProcess(process, port);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited) throw new InvalidOperationException($"the agent exited with {process.ExitCode}:\n{agent.Output}");
            try
            {
                await agent.GetAsync("/");
                return agent;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
        await agent.DisposeAsync();
        throw new TimeoutException($"the agent did not serve /metrics within 30 s:\n{agent.Output}");
    }

    public async Task<string> GetAsync(string path) =>
        await Http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}{path}"), TestContext.Current.CancellationToken);

    public async Task<MetricsText> ScrapeAsync(string path = "/metrics") => MetricsText.Parse(await GetAsync(path));

    /// <summary>Waits for a view from a scan that started after this call: whatever the test changed before is in it.</summary>
    public async Task<MetricsText> NextFullCycleAsync()
    {
        var now = (await ScrapeAsync()).Value("procactors_cycle");
        return await UntilAsync(m => m.Value("procactors_cycle") >= now + 2, "two more cycles");
    }

    public async Task<MetricsText> UntilAsync(Func<MetricsText, bool> condition, string what, TimeSpan? timeout = null, string path = "/metrics")
    {
        var deadline = Stopwatch.StartNew();
        MetricsText metrics;
        do
        {
            metrics = await ScrapeAsync(path);
            if (condition(metrics)) return metrics;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        while (deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(30)));
        throw new TimeoutException($"waited in vain for {what}; last scrape:\n{metrics.Text}\nagent output:\n{Output}");
    }

    /// <summary>SIGTERM, as systemd stops a service: the agent shuts down gracefully (and saves its snapshot).</summary>
    public async Task<int> StopGracefullyAsync()
    {
        if (Kill(_process.Id, 15) != 0) throw new InvalidOperationException("kill(SIGTERM) failed");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillHardAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
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
