using System.Diagnostics;
using System.Globalization;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// The built agent where /proc fights back: run as nobody on the real /proc (EACCES on other users' io, fd and
/// smaps_rollup), and on a fixture tree holding the fuzz corpus's damaged files and processes missing files. It keeps
/// scanning, counts each bad read, and serves nothing negative.
/// </summary>
public sealed class HostileProcTests : IDisposable
{
    private readonly FixtureTree _tree = new(uptime: "1000.00 2000.00\n");

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task As_nobody_on_the_real_proc_unreadable_files_are_counted_and_the_scan_goes_on()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/sbin/runuser")) Assert.Skip("needs root and runuser to start the agent as nobody");
        var info = new ProcessStartInfo("/usr/sbin/runuser") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-u", "nobody", "--", "dotnet", AgentProcess.AgentDll, "-once-to-stdout-delay", "500ms", "--persistence", "none" })
            info.ArgumentList.Add(arg);
        info.Environment["HOME"] = "/tmp";
        info.Environment["DOTNET_CLI_HOME"] = "/tmp";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(process.ExitCode == 0, await stderr);
        var m = MetricsText.Parse(await stdout);
        // Root's processes (PID 1, the test host) are there, but their io is not readable by nobody.
        Assert.True(m.Series.Where(s => s.Key.StartsWith("namedprocess_namegroup_num_procs", StringComparison.Ordinal)).Sum(s => s.Value) > 1);
        Assert.True(m.Value("namedprocess_scrape_partial_errors") + m.Value("namedprocess_scrape_procread_errors") > 0, m.Text);
        AssertNothingNegative(m);
    }

    [Fact]
    public async Task Damaged_and_missing_files_are_counted_errors_and_good_processes_keep_counting()
    {
        _tree.AddProcess(100, "good", starttime: 5_000, utime: 100);
        var corpus = Path.Combine(AppContext.BaseDirectory, "corpus");
        var pid = 200;
        // Every damaged stat, status, io, limits and smaps_rollup of the corpus, each in a process of its own.
        foreach (var file in new[] { "stat", "status", "io", "limits", "smaps_rollup" })
        {
            foreach (var bad in Directory.GetFiles(Path.Combine(corpus, file), "bad-*"))
            {
                _tree.AddProcess(pid, "victim", starttime: 6_000);
                File.Copy(bad, _tree.PathOf(pid, file), overwrite: true);
                pid++;
            }
        }
        // Files gone: a process without io, one without status, one whose directory is empty.
        _tree.AddProcess(pid, "victim", starttime: 6_000);
        File.Delete(_tree.PathOf(pid++, "io"));
        _tree.AddProcess(pid, "victim", starttime: 6_000);
        File.Delete(_tree.PathOf(pid++, "status"));
        Directory.CreateDirectory(_tree.PathOf(pid++));

        await using var agent = await AgentProcess.StartAsync("-procfs", _tree.Root, "--scan-interval", "100ms");
        var m = await agent.UntilAsync(x => x.TryValue("procactors_cycle", out var c) && c >= 3, "three cycles");
        var errors = m.Value("namedprocess_scrape_procread_errors") + m.Value("namedprocess_scrape_partial_errors");
        // Every damaged process counts at least once; the empty directory reads as a process that vanished, no error.
        Assert.True(errors >= pid - 201, $"{errors} errors for {pid - 200} damaged processes:\n{m.Text}");
        _tree.AddProcess(100, "good", starttime: 5_000, utime: 160);
        m = await agent.UntilAsync(x => x.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "good", "mode", "user") >= 0.6, "the good process counted");
        Assert.Equal(0.6, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "good", "mode", "user"), 9);
        AssertNothingNegative(m);
        Assert.True(agent.IsRunning);
    }

    private static void AssertNothingNegative(MetricsText m)
    {
        foreach (var (series, value) in m.Series)
        {
            Assert.False(value < 0 || double.IsNaN(value) || value > 1e19, $"{series} = {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }
}
