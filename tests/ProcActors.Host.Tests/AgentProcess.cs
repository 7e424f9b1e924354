using System.Diagnostics;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>The built agent executable, started by a test on a free loopback port and killed (only it) at the end.</summary>
internal sealed class AgentProcess : ServedProcess
{
    private AgentProcess(ProcessStartInfo info, int port) : base(info, port)
    {
    }

    public static string AgentDll => Path.Combine(AppContext.BaseDirectory, "procactors.dll");

    /// <param name="executable">A natively compiled agent (NativeBuildTests); null: the built procactors.dll under dotnet.</param>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args, string? executable = null)
    {
        var info = new ProcessStartInfo(executable ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (executable is null) info.ArgumentList.Add(AgentDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return info;
    }

    /// <summary>Starts the agent; without a --persistence flag it keeps nothing, so tests never share a store by accident.</summary>
    public static Task<AgentProcess> StartAsync(params string[] args) => StartAsync(null, args);

    /// <summary>As <see cref="StartAsync(string[])"/>, with the natively compiled agent at <paramref name="executable"/>.</summary>
    public static Task<AgentProcess> StartNativeAsync(string executable, params string[] args) => StartAsync(executable, args);

    /// <summary>Runs the agent's executable (a CLI verb) to its end, as an operator would.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunToEndAsync(string? executable, string[] args)
    {
        using var process = Process.Start(StartInfo(args, executable))!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static async Task<AgentProcess> StartAsync(string? executable, string[] args)
    {
        var port = FreePort();
        string[] persistence = args.Any(a => a.TrimStart('-').StartsWith("persistence", StringComparison.Ordinal)) ? [] : ["--persistence", "none"];
        // Never the default 4053: other tests (and other checkouts' tests) run agents at the same time.
        string[] remote = args.Any(a => a.TrimStart('-').StartsWith("remote", StringComparison.Ordinal)) ? [] : ["--remote", $"127.0.0.1:{FreePort()}"];
        var agent = new AgentProcess(StartInfo([.. args, .. persistence, .. remote, "-web.listen-address", $"127.0.0.1:{port}"], executable), port);
        try
        {
            await agent.WaitUntilServingAsync("/", TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            return agent;
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    public Task<string> GetAsync(string path) => GetAsync(path, TestContext.Current.CancellationToken);

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
}
