using System.Globalization;
using System.Text.Json;
using ProcActors.Client;
using ProcActors.Protocol;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// Answers far over Akka.Remote's frame size (512,000 bytes), asked of a real agent over the wire: 2,000 processes
/// with 1.2 KB command lines in one group are about 2.6 MB as one GetGroup or GetTop answer. They come in pages and
/// the typed client and the CLI join them, so every member is there (one message of that size would be dropped by
/// the transport and the asker would time out).
/// </summary>
public sealed class PagedAnswersEndToEndTests : IAsyncDisposable
{
    private const int Processes = 2000;
    private readonly FixtureTree _tree = new();
    private readonly int _port = ServedProcess.FreePort();
    private AgentProcess? _agent;

    public PagedAnswersEndToEndTests()
    {
        var args = Enumerable.Range(0, 24).Select(i => $"--setting-{i:D2}=/srv/application/with/a/rather/long/path/{i:D2}").ToArray();
        _tree.AddProcess(10, "worker", starttime: 5_000, utime: 7, cmdline: ["/usr/bin/worker", .. args]);
        _tree.AddClones(10, 1_000, Processes);
    }

    private string Remote => "127.0.0.1:" + _port.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (_agent is not null) await _agent.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task A_group_and_a_top_over_the_frame_size_arrive_whole_through_the_client_and_the_cli()
    {
        _agent = await AgentProcess.StartAsync("-procfs", _tree.Root, "-procnames", "worker", "--scan-interval", "1s",
            "--persistence", "none", "--remote", Remote, "--node-name", "paged");
        await _agent.UntilAsync(m => m.TryValue("namedprocess_namegroup_num_procs", out var procs, "groupname", "worker") && procs == Processes, "all processes tracked");

        await using var client = await ProcActorsClient.ConnectAsync(Remote, TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var group = await client.GetGroupAsync("worker", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Processes, group.Members.Count);
        Assert.Equal(Enumerable.Range(1_000, Processes), group.Members.Select(m => m.Pid));
        Assert.Equal(25, group.Members[^1].Cmdline.Count);
        Assert.Equal((0, 1), (group.Page, group.Pages));

        var top = await client.GetTopAsync(Processes, TopBy.Rss, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Processes, top.Processes.Select(p => p.Pid).Distinct().Count());

        // One message of it would not fit a frame: it came in pages.
        Assert.True(group.Members.Sum(WireSize.Bound) > 512_000, "the whole answer would not fit one frame");

        var (code, stdout, stderr) = await FleetEndToEndTests.CliAsync("query", "group", "worker", "--agent", Remote, "--json", "--timeout", "10s");
        Assert.True(code == 0, stderr);
        var members = JsonDocument.Parse(stdout).RootElement.GetProperty("members").GetArrayLength();
        Assert.Equal(Processes, members);
    }
}
