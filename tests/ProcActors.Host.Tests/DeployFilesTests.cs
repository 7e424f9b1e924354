using System.Diagnostics;
using System.Text.Json;

namespace ProcActors.Host.Tests;

/// <summary>
/// The compose stack cannot run here (no container engine): docker-compose validates the file, and the files it
/// mounts are checked to exist and to ask for the series the agents serve.
/// </summary>
public sealed class DeployFilesTests
{
    private static string RepoRoot => Repository.Root;

    [Fact]
    public async Task Docker_compose_validates_the_stack()
    {
        if (!File.Exists("/usr/bin/docker-compose")) Assert.Skip("docker-compose is not installed (.ci/setup installs Debian's docker-compose)");
        var info = new ProcessStartInfo("docker-compose") { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-f", "docker-compose.yml", "config", "-q" }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"docker-compose config -q: {stderr}");
    }

    [Fact]
    public void The_mounted_files_exist_and_the_dashboard_asks_for_group_series()
    {
        var compose = File.ReadAllText(Path.Combine(RepoRoot, "docker-compose.yml"));
        foreach (var mounted in new[] { "deploy/prometheus.yml", "deploy/grafana/provisioning", "deploy/grafana/dashboards", "deploy/process-exporter.yml" })
        {
            Assert.Contains("./" + mounted + ":", compose, StringComparison.Ordinal);
            Assert.True(Path.Exists(Path.Combine(RepoRoot, mounted)), mounted);
        }
        var prometheus = File.ReadAllText(Path.Combine(RepoRoot, "deploy", "prometheus.yml"));
        foreach (var agent in new[] { "agent-1:9256", "agent-2:9256", "agent-3:9256" }) Assert.Contains(agent, prometheus, StringComparison.Ordinal);
        Assert.Contains("metrics_path: /metrics/fleet", prometheus, StringComparison.Ordinal);

        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot, "deploy", "grafana", "dashboards", "procactors.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.Contains(expressions, e => e.Contains("namedprocess_namegroup_cpu_seconds_total", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.Contains("namedprocess_namegroup_memory_bytes", StringComparison.Ordinal));
        Assert.All(expressions, e => Assert.Contains("job=\"procactors-fleet\"", e, StringComparison.Ordinal));
    }
}
