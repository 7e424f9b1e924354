using System.Diagnostics;
using System.Globalization;
using ProcActors.Testing;

namespace ProcActors.LoadTests.Scenarios;

/// <summary>
/// The built agent executable (procactors.dll, copied here by the project reference) started on free loopback ports
/// for HTTP and the cluster: what ask-remote and ask-fleet ask. Disposing kills it, and only it.
/// </summary>
public sealed class AgentServer : ServedProcess
{
    private AgentServer(ProcessStartInfo info, int port, string remote) : base(info, port) => Remote = remote;

    /// <summary>HOST:PORT of its cluster endpoint, for ProcActorsClient.</summary>
    public string Remote { get; }

    public static async Task<AgentServer> StartAsync(string procfs, string node, string? seed, TimeSpan scanInterval, CancellationToken cancellationToken, int? remotePort = null, IReadOnlyList<string>? extraArgs = null)
    {
        var port = FreePort();
        var remote = $"127.0.0.1:{(remotePort ?? FreePort()).ToString(CultureInfo.InvariantCulture)}";
        var info = new ProcessStartInfo("dotnet");
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "procactors.dll"), "-procfs", procfs, "--persistence", "none", "--node-name", node,
            "--scan-interval", $"{(int)scanInterval.TotalMilliseconds}ms", "--remote", remote, "-web.listen-address", $"127.0.0.1:{port}",
        ];
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var arg in extraArgs ?? []) info.ArgumentList.Add(arg);
        if (seed is not null)
        {
            info.ArgumentList.Add("--seed-nodes");
            info.ArgumentList.Add(seed);
        }
        var agent = new AgentServer(info, port, remote);
        try
        {
            await agent.WaitUntilServingAsync("/", TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            return agent;
        }
        catch
        {
            await agent.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
