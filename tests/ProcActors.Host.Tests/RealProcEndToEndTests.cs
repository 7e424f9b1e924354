using System.Diagnostics;

namespace ProcActors.Host.Tests;

/// <summary>The built agent against the real /proc, watching processes the test spawns (and alone reaps).</summary>
public sealed class RealProcEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procactors-real-").FullName;
    private readonly List<Process> _children = [];

    public void Dispose()
    {
        foreach (var child in _children) Reap(child);
        Directory.Delete(_dir, recursive: true);
    }

    private static void Reap(Process child)
    {
        if (!child.HasExited) child.Kill();
        child.WaitForExit();
        child.Dispose();
    }

    [Fact]
    public async Task The_agent_counts_spawned_processes_and_sees_them_go()
    {
        // A copy of sleep under a name no other process on the machine has: the comm the agent groups by.
        var name = "pa" + Guid.NewGuid().ToString("N")[..10];
        var binary = Path.Combine(_dir, name);
        File.Copy("/bin/sleep", binary);
        File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        const int count = 5;
        for (var i = 0; i < count; i++) _children.Add(Process.Start(binary, "300"));

        await using var agent = await AgentProcess.StartAsync("-procnames", name, "--scan-interval", "200ms");
        var m = await agent.UntilAsync(x => x.TryValue("namedprocess_namegroup_num_procs", out var n, "groupname", name) && n == count, $"{count} {name}");
        Assert.Equal(count, m.Value("namedprocess_namegroup_states", "groupname", name, "state", "Sleeping"));
        Assert.Equal(count, m.Value("namedprocess_namegroup_num_threads", "groupname", name));
        Assert.True(m.Value("namedprocess_namegroup_memory_bytes", "groupname", name, "memtype", "resident") > 0);

        foreach (var child in _children) Reap(child);
        _children.Clear();

        await agent.UntilAsync(x => x.Value("namedprocess_namegroup_num_procs", "groupname", name) == 0, $"no {name} left");
    }

    [Fact]
    public async Task Without_config_every_user_process_is_grouped_by_its_command_name()
    {
        var name = "pa" + Guid.NewGuid().ToString("N")[..10];
        var binary = Path.Combine(_dir, name);
        File.Copy("/bin/sleep", binary);
        File.SetUnixFileMode(binary, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        _children.Add(Process.Start(binary, "300"));

        await using var agent = await AgentProcess.StartAsync("--scan-interval", "200ms");

        var m = await agent.UntilAsync(x => x.TryValue("namedprocess_namegroup_num_procs", out var n, "groupname", name) && n == 1, $"group {name}");
        // The agent itself runs as "dotnet procactors.dll".
        Assert.True(m.Value("namedprocess_namegroup_num_procs", "groupname", "dotnet") >= 1);
    }

    [Fact]
    public async Task A_process_that_names_itself_with_invalid_utf8_is_served_as_valid_utf8()
    {
        // bash writes the bytes into its own comm (what prctl(PR_SET_NAME) does), then waits on its stdin.
        var marker = "pa" + Guid.NewGuid().ToString("N")[..6];
        var info = new ProcessStartInfo("bash") { RedirectStandardInput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"printf '\\xff\\xfe{marker}' > /proc/self/comm; read line");
        var child = Process.Start(info)!;
        _children.Add(child);

        await using var agent = await AgentProcess.StartAsync("--scan-interval", "200ms");
        var name = "\uFFFD\uFFFD" + marker;
        await agent.UntilAsync(x => x.TryValue("namedprocess_namegroup_num_procs", out var n, "groupname", name) && n == 1, $"group {name}");

        // The whole exposition decodes as strict UTF-8.
        using var http = new HttpClient();
        var bytes = await http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{agent.Port}/metrics"), TestContext.Current.CancellationToken);
        var text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        Assert.Contains($"groupname=\"{name}\"", text, StringComparison.Ordinal);
    }
}
