using System.Diagnostics;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// A real PostgreSQL server on 127.0.0.1. .ci/run starts one and names it in PROCACTORS_TEST_PG_DIR/PORT; a test
/// that stops and starts the server (the outage test) always gets a server of its own.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private readonly bool _owned;

    private PostgresServer(string directory, int port, bool owned)
    {
        Directory = directory;
        Port = port;
        _owned = owned;
    }

    public string Directory { get; }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=5;Command Timeout=10";

    public static async Task<PostgresServer> SharedOrOwnAsync()
    {
        if (Environment.GetEnvironmentVariable("PROCACTORS_TEST_PG_DIR") is { Length: > 0 } dir &&
            int.TryParse(Environment.GetEnvironmentVariable("PROCACTORS_TEST_PG_PORT"), out var port))
            return new PostgresServer(dir, port, owned: false);
        return await OwnAsync();
    }

    public static async Task<PostgresServer> OwnAsync()
    {
        // As .ci/run does: Debian's server is installed when missing; where it cannot be, the test says why and skips.
        if (await DebianPackages.EnsureAsync("/usr/lib/postgresql/*/bin/initdb", "postgresql") is { } missing)
            Assert.Skip($"no PostgreSQL server to test against: {missing}");
        var server = new PostgresServer(Path.Combine(Path.GetTempPath(), $"procactors-pg-{Guid.NewGuid():N}"), ServedProcess.FreePort(), owned: true);
        await server.StartAsync();
        return server;
    }

    public Task StartAsync() => RunScriptAsync("start");

    public Task StopAsync() => RunScriptAsync("stop");

    public async ValueTask DisposeAsync()
    {
        if (!_owned) return;
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped by the test.
        }
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private async Task RunScriptAsync(string action)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { Script(), action, Directory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync(CancellationToken.None);
        await process.WaitForExitAsync(CancellationToken.None);
        if (process.ExitCode != 0) throw new InvalidOperationException($"scripts/test-postgres.sh {action} failed: {error}");
    }

    private static string Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "scripts", "test-postgres.sh");
            if (File.Exists(script)) return script;
        }
        throw new FileNotFoundException("scripts/test-postgres.sh not found above the test's folder");
    }
}
