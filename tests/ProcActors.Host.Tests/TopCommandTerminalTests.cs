using System.Diagnostics;
using System.Globalization;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// procactors top in a real terminal: a tmux session of its own (private socket) runs it against a real agent; the
/// screen is read with capture-pane, keys are sent with send-keys.
/// </summary>
public sealed class TopCommandTerminalTests : IAsyncDisposable
{
    private readonly FixtureTree _tree = new();
    private readonly string _socket = "procactors-top-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _node = "top-" + Guid.NewGuid().ToString("N")[..6];
    private AgentProcess? _agent;

    public async ValueTask DisposeAsync()
    {
        await TmuxAsync("kill-server");
        if (_agent is not null) await _agent.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task Top_shows_the_fleet_live_sorts_on_a_key_and_quits_on_q()
    {
        if (!File.Exists("/usr/bin/tmux")) Assert.Skip("tmux is not installed (.ci/setup installs it)");
        _tree.AddProcess(100, "web", starttime: 5_000, utime: 1_000, rss: 50_000);
        _tree.AddProcess(200, "db", starttime: 5_000, utime: 1_000, rss: 900_000);
        var remote = $"127.0.0.1:{ServedProcess.FreePort().ToString(CultureInfo.InvariantCulture)}";
        _agent = await AgentProcess.StartAsync("-procfs", _tree.Root, "--scan-interval", "200ms", "--node-name", _node, "--remote", remote);

        // The agent serves HTTP before its cluster system listens, which under load (CI) took more than top's default
        // 5 s to connect: top then ended with its one-line error and the screen was empty. 30 s, and the pane stays
        // after top exits so that a failure shows what it printed.
        var command = $"dotnet {AgentProcess.AgentDll} top --agent {remote} --refresh 300ms --timeout 30s";
        Assert.Equal(0, (await TmuxAsync("new-session", "-d", "-s", "top", "-x", "150", "-y", "40")).Code);
        Assert.Equal(0, (await TmuxAsync("set-option", "-t", "top", "remain-on-exit", "on")).Code);
        Assert.Equal(0, (await TmuxAsync("respawn-pane", "-k", "-t", "top", command)).Code);

        var screen = await ScreenUntilAsync(s => s.Contains(_node, StringComparison.Ordinal) && s.Contains("web", StringComparison.Ordinal)
            && s.Contains("db", StringComparison.Ordinal) && s.Contains("sorted by CPU", StringComparison.Ordinal), "the fleet on screen");
        Assert.Contains("1 hosts, 1 up", screen, StringComparison.Ordinal);

        await TmuxAsync("send-keys", "-t", "top", "m");
        screen = await ScreenUntilAsync(s => s.Contains("sorted by RSS", StringComparison.Ordinal), "sorting by memory");
        var lines = screen.Split('\n');
        Assert.True(Array.FindIndex(lines, l => l.Contains(" db ", StringComparison.Ordinal)) < Array.FindIndex(lines, l => l.Contains(" web ", StringComparison.Ordinal)),
            $"db (more memory) is not above web:\n{screen}");

        await TmuxAsync("send-keys", "-t", "top", "q");
        var watch = Stopwatch.StartNew();
        while ((await TmuxAsync("display-message", "-p", "-t", "top", "#{pane_dead}")).Stdout.Trim() != "1")
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "top did not quit on q");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private async Task<string> ScreenUntilAsync(Func<string, bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        var screen = "";
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            screen = (await TmuxAsync("capture-pane", "-p", "-t", "top")).Stdout;
            if (condition(screen)) return screen;
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"waited in vain for {what}; screen:\n{screen}");
    }

    private async Task<(int Code, string Stdout)> TmuxAsync(params string[] args)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-L");
        info.ArgumentList.Add(_socket);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = await process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        await process.StandardError.ReadToEndAsync(CancellationToken.None);
        await process.WaitForExitAsync(CancellationToken.None);
        return (process.ExitCode, stdout);
    }
}
