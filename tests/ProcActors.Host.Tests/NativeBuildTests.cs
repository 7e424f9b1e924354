using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// The native build (README, "A native build"), published the way the README says from a copy of the sources, so
/// that it never touches the build the other tests run. A toolchain that cannot be had is a visible skip; a build
/// that fails is a failure.
/// </summary>
public sealed class NativeBuild : IAsyncLifetime
{
    public string? Executable { get; private set; }

    public string? SkipReason { get; private set; }

    public TimeSpan Took { get; private set; }

    private readonly string _dir = Directory.CreateTempSubdirectory("procactors-native-").FullName;

    public async ValueTask InitializeAsync()
    {
        // The native linker step needs a C toolchain (clang or gcc) and objcopy.
        if (!File.Exists("/usr/bin/clang") && !File.Exists("/usr/bin/gcc"))
        {
            SkipReason = await DebianPackages.EnsureAsync("/usr/bin/clang", "clang");
            if (SkipReason is not null) return;
        }
        if (!File.Exists("/usr/bin/objcopy"))
        {
            SkipReason = await DebianPackages.EnsureAsync("/usr/bin/objcopy", "binutils");
            if (SkipReason is not null) return;
        }
        var repo = Repository.Root;
        var sources = Path.Combine(_dir, "src");
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props" }) CopyInto(Path.Combine(repo, file), sources);
        CopyTree(Path.Combine(repo, "src"), Path.Combine(sources, "src"));
        CopyTree(Path.Combine(repo, "hocon"), Path.Combine(sources, "hocon"));

        var output = Path.Combine(_dir, "out");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = sources };
        foreach (var arg in new[] { "publish", "src/ProcActors.Host", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output, "-nologo" })
            info.ArgumentList.Add(arg);
        var clock = Stopwatch.StartNew();
        using var publish = Process.Start(info)!;
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(25));
        await publish.WaitForExitAsync(timeout.Token);
        Took = clock.Elapsed;
        var log = await stdout + await stderr;
        Executable = Path.Combine(output, "procactors");
        if (publish.ExitCode != 0 || !File.Exists(Executable))
            throw new InvalidOperationException($"the native publish failed (exit {publish.ExitCode}):\n{string.Join('\n', log.Split('\n').TakeLast(40))}");
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }

    private static void CopyInto(string file, string directory)
    {
        Directory.CreateDirectory(directory);
        File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.EnumerateDirectories(from))
        {
            var name = Path.GetFileName(dir);
            if (name is "bin" or "obj") continue;
            CopyTree(dir, Path.Combine(to, name));
        }
    }
}

/// <summary>
/// The natively compiled agent does what the JIT-compiled one does in the other tests: scans, serves /metrics, saves
/// its counters to SQLite and restores them exactly after a restart, answers the CLI over Akka.Remote (itself native),
/// and releases its start-up pages.
/// </summary>
public sealed class NativeBuildTests(NativeBuild build) : PersistedAgentTests, IClassFixture<NativeBuild>
{
    private Task<AgentProcess> StartNativeAsync(int remotePort) =>
        AgentProcess.StartNativeAsync(build.Executable!,
            "-procfs", _tree.Root, "-config.path", ConfigPath, "--scan-interval", "100ms", "--node-name", _node,
            "--persistence", "sqlite:" + SqlitePath, "--snapshot-every", "1", "--remote", $"127.0.0.1:{remotePort}");

    [Fact]
    public async Task The_native_agent_counts_saves_restores_and_answers_the_cli()
    {
        if (build.SkipReason is { } reason) Assert.Skip(reason);
        TestContext.Current.SendDiagnosticMessage($"native publish took {build.Took.TotalSeconds:F0} s");
        var remotePort = ServedProcess.FreePort();

        Web(_raw);
        var agent = await StartNativeAsync(remotePort);
        _agents.Add(agent);
        await agent.UntilAsync(x => x.TryValue("procactors_cycle", out var cycle) && cycle >= 1, "a first cycle");
        await CountersAsync(agent, Advance(100));
        await agent.UntilAsync(x => x.Value("procactors_snapshots_saved_total") >= 1, "a snapshot saved to SQLite", TimeSpan.FromSeconds(60));

        // The CLI of the same executable asks the agent over Akka.Remote and prints JSON.
        var (exit, stdout, stderr) = await RunAsync(build.Executable!, "query", "groups", "--agent", $"127.0.0.1:{remotePort}", "--json");
        Assert.True(exit == 0, $"query exited {exit}: {stderr}");
        using (var json = JsonDocument.Parse(stdout))
        {
            Assert.Equal(_node, json.RootElement.GetProperty("node").GetString());
            var web = json.RootElement.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("name").GetString() == "web");
            Assert.Equal(1, web.GetProperty("procs").GetInt32());
        }

        // The first heap trim (after cycle 3) releases the start-up's pages.
        await agent.UntilAsync(x => x.Value("procactors_heap_trims_total") >= 1, "the first heap trim");
        await WaitForOutputAsync(agent, "Start-up pages released");

        Assert.Equal(0, await agent.StopGracefullyAsync());
        await agent.DisposeAsync();
        Advance(50);

        await using var again = await StartNativeAsync(ServedProcess.FreePort());
        await again.UntilAsync(x => x.TryValue("procactors_cycle", out var cycle) && cycle >= 1, "a first cycle after the restart");
        await CountersAsync(again, _web);
        Assert.Contains("Restored", again.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_native_agent_refuses_postgres_at_start_with_the_reason()
    {
        if (build.SkipReason is { } reason) Assert.Skip(reason);

        var (exit, stdout, stderr) = await RunAsync(build.Executable!, "--persistence", "postgres:Host=127.0.0.1;Port=1", "-web.listen-address", $"127.0.0.1:{ServedProcess.FreePort()}");

        Assert.NotEqual(0, exit);
        Assert.Contains("needs the JIT-compiled agent", stdout + stderr, StringComparison.Ordinal);
    }

    private static async Task WaitForOutputAsync(AgentProcess agent, string text)
    {
        var clock = Stopwatch.StartNew();
        while (!agent.Output.Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) Assert.Fail($"no \"{text}\" in the agent's output:\n{agent.Output}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    private static Task<(int Code, string Stdout, string Stderr)> RunAsync(string executable, params string[] args) =>
        AgentProcess.RunToEndAsync(executable, args);
}
