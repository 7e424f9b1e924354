using System.Diagnostics;

namespace ProcActors.Host.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Postgres_persistence_is_refused_by_the_native_build_only()
    {
        Assert.Equal(StoreKind.Postgres, PersistenceOption.Parse("postgres:Host=db", native: false).Kind);
        Assert.Equal(StoreKind.Sqlite, PersistenceOption.Parse("sqlite:/var/lib/p.db", native: true).Kind);
        var refused = Assert.Throws<UsageException>(() => PersistenceOption.Parse("postgres:Host=db", native: true));
        Assert.Contains("JIT-compiled", refused.Message, StringComparison.Ordinal);
        // Tests run JIT-compiled: the public parse accepts it.
        Assert.Equal(StoreKind.Postgres, CommandLine.Parse(["--persistence", "postgres:Host=db"]).Persistence.Kind);
    }

    [Fact]
    public void Defaults_are_process_exporters()
    {
        var o = CommandLine.Parse([]);
        Assert.Equal("/proc", o.Procfs);
        Assert.True(o.Children);
        Assert.True(o.Threads);
        Assert.True(o.GatherSmaps);
        Assert.False(o.Recheck);
        Assert.False(o.RemoveEmptyGroups);
        Assert.Equal(":9256", o.ListenAddress);
        Assert.Equal("/metrics", o.TelemetryPath);
        Assert.Null(o.OnceToStdoutDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), o.ScanInterval);
    }

    [Theory]
    [InlineData("-procfs", "/host/proc")]
    [InlineData("--procfs", "/host/proc")]
    [InlineData("-procfs=/host/proc")]
    [InlineData("--procfs=/host/proc")]
    public void Flags_take_one_or_two_dashes_and_a_separate_or_joined_value(params string[] args) =>
        Assert.Equal("/host/proc", CommandLine.Parse(args).Procfs);

    [Fact]
    public void Booleans_are_go_style()
    {
        Assert.False(CommandLine.Parse(["-children=false"]).Children);
        Assert.False(CommandLine.Parse(["--threads=0"]).Threads);
        Assert.True(CommandLine.Parse(["-recheck"]).Recheck);
        Assert.True(CommandLine.Parse(["-remove-empty-groups=T"]).RemoveEmptyGroups);
        // A bare boolean does not swallow the next flag.
        var o = CommandLine.Parse(["-debug", "-procnames", "a,b"]);
        Assert.True(o.Debug);
        Assert.Equal("a,b", o.ProcNames);
    }

    [Theory]
    [InlineData("5s", 5_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("300ms", 300)]
    [InlineData("2h", 7_200_000)]
    [InlineData("0", 0)]
    public void Durations_are_go_durations(string text, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), CommandLine.Duration("x", text));

    [Fact]
    public void The_idle_bound_defaults_to_twelve_scans_and_can_be_set()
    {
        Assert.Equal(12, CommandLine.Parse([]).IdleEvery);
        Assert.Equal(3, CommandLine.Parse(["--idle-every", "3"]).IdleEvery);
    }

    [Theory]
    [InlineData("-nosuchflag", "flag provided but not defined: -nosuchflag")]
    [InlineData("-procfs", "flag needs an argument: -procfs")]
    [InlineData("-children=maybe", "invalid boolean value \"maybe\" for -children")]
    [InlineData("-once-to-stdout-delay=5", "invalid duration \"5\" for -once-to-stdout-delay")]
    [InlineData("--scan-interval=0", "must be positive")]
    [InlineData("stray", "unexpected argument \"stray\"")]
    [InlineData("--idle-every=0", "idle-every")]
    public void Bad_flags_say_what_is_wrong(string arg, string message)
    {
        var error = Assert.Throws<UsageException>(() => CommandLine.Parse([arg]));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(":9256", "http://0.0.0.0:9256")]
    [InlineData("127.0.0.1:9256", "http://127.0.0.1:9256")]
    [InlineData("[::1]:9256", "http://[::1]:9256")]
    public void Listen_addresses_become_urls(string address, string url) => Assert.Equal(url, ListenAddress.ToUrl(address));

    [Theory]
    [InlineData(new[] { "-nosuchflag" }, "flag provided but not defined")]
    [InlineData(new[] { "-procnames", "a", "-config.path", "/x.yml" }, "cannot be used with")]
    [InlineData(new[] { "-config.path", "/nonexistent/procactors.yml" }, "/nonexistent/procactors.yml")]
    public async Task The_executable_rejects_bad_flags_and_config_with_one_line_and_a_non_zero_exit(string[] args, string message)
    {
        using var process = Process.Start(AgentProcess.StartInfo(args))!;
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Version_prints_and_exits_zero()
    {
        using var process = Process.Start(AgentProcess.StartInfo(["-version"]))!;
        var stdout = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, process.ExitCode);
        Assert.StartsWith("procactors version ", stdout, StringComparison.Ordinal);
        // The executable's own version (the project's <Version>), not the 1.0.0 of an assembly that has none.
        var executable = typeof(AgentComposition).Assembly.GetName().Version!.ToString(3);
        Assert.Equal($"procactors version {executable}", stdout.Trim());
        Assert.Equal(executable, typeof(ProcActors.Client.ProcActorsClient).Assembly.GetName().Version!.ToString(3));
    }
}
