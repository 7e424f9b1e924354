using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ProcActors.Host.Tests;

/// <summary>
/// The capabilities `deploy/procactors.service` gives its unprivileged user are the ones the agent needs: started as
/// nobody with exactly those (ambient, as systemd gives them), it reads a root process's smaps_rollup (a ptrace read
/// check) and registers for taskstats exit records; with none, it cannot, so the figures checked do tell the two apart. The DaemonSet and the
/// compose stack add the same set.
/// </summary>
public sealed partial class UnitCapabilitiesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procactors-caps-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepoRoot => Repository.Root;

    private static string Unit => File.ReadAllText(Path.Combine(RepoRoot, "deploy", "procactors.service"));

    /// <summary>The unit's AmbientCapabilities, e.g. "CAP_SYS_PTRACE".</summary>
    private static string[] UnitCapabilities() =>
        UnitLine("AmbientCapabilities").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string UnitLine(string key) =>
        Regex.Match(Unit, $"^{key}=(.*)$", RegexOptions.Multiline) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"{key}= not in the unit");

    [Fact]
    public void The_unit_bounds_what_it_grants_and_lets_netlink_through_for_exit_records()
    {
        var caps = UnitCapabilities();
        Assert.Contains("CAP_NET_ADMIN", caps);
        Assert.Equal(caps.Order(), UnitLine("CapabilityBoundingSet").Split(' ', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Contains("AF_NETLINK", UnitLine("RestrictAddressFamilies").Split(' '));
    }

    [Fact]
    public void The_daemonset_and_the_compose_stack_add_the_unit_s_capabilities()
    {
        var names = UnitCapabilities().Select(c => c["CAP_".Length..]).Order().ToArray();
        var daemonset = File.ReadAllText(Path.Combine(RepoRoot, "deploy", "kubernetes", "daemonset.yaml"));
        var compose = File.ReadAllText(Path.Combine(RepoRoot, "docker-compose.yml"));
        Assert.Equal(names, Listed(AddRegex().Match(daemonset)));
        Assert.Equal(names, Listed(CapAddRegex().Match(compose)));

        static string[] Listed(Match m)
        {
            Assert.True(m.Success, "no capability list found");
            return m.Groups[1].Value.Split(',').Select(s => s.Trim().Trim('"')).Where(s => s.Length > 0).Order().ToArray();
        }
    }

    [Fact]
    public async Task As_nobody_with_the_unit_s_capabilities_it_reads_root_s_memory_and_counts_exits_by_taskstats()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv")) Assert.Skip("needs root and setpriv (util-linux) to start the agent as nobody with given capabilities");
        // A root process of a name of its own: its smaps_rollup (PSS) passes the kernel's ptrace read check only.
        var name = "pa-caps-" + Guid.NewGuid().ToString("N")[..6];
        var sleeper = Path.Combine(_dir, name);
        File.Copy("/bin/sleep", sleeper);
        File.SetUnixFileMode(sleeper, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        using var child = Process.Start(new ProcessStartInfo(sleeper, "120") { UseShellExecute = false })!;
        try
        {
            var granted = UnitCapabilities().Select(c => "+" + c["CAP_".Length..].ToLowerInvariant()).ToArray();
            var with = await RunAsNobodyAsync(granted);
            Assert.Equal(1, with.Value("procactors_exit_accounting_mode", "mode", "taskstats"));
            Assert.True(with.Value("namedprocess_namegroup_memory_bytes", "groupname", name, "memtype", "proportionalResident") > 0, with.Text);

            // The control: the same start with no capability falls back, and root's smaps_rollup is closed to it.
            var without = await RunAsNobodyAsync([]);
            Assert.Equal(1, without.Value("procactors_exit_accounting_mode", "mode", "children"));
            Assert.Equal(0, without.Value("namedprocess_namegroup_memory_bytes", "groupname", name, "memtype", "proportionalResident"));
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    private static async Task<MetricsText> RunAsNobodyAsync(string[] caps)
    {
        var info = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var set = string.Concat(caps.Select(c => "," + c));
        string[] setpriv = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all" + set];
        if (caps.Length > 0) setpriv = [.. setpriv, "--ambient-caps=" + string.Join(',', caps)];
        foreach (var arg in setpriv.Concat(["dotnet", AgentProcess.AgentDll, "-once-to-stdout-delay", "500ms", "--persistence", "none"]))
            info.ArgumentList.Add(arg);
        info.Environment["HOME"] = "/tmp";
        info.Environment["DOTNET_CLI_HOME"] = "/tmp";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, await stderr);
        return MetricsText.Parse(await stdout);
    }

    [GeneratedRegex(@"capabilities:\s*\n(?:.*\n)*?\s*add:\s*\[([^\]]*)\]")]
    private static partial Regex AddRegex();

    [GeneratedRegex(@"cap_add:\s*\[([^\]]*)\]")]
    private static partial Regex CapAddRegex();
}
