using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// The agent as a systemd service (Type=notify): it reports READY=1 on $NOTIFY_SOCKET once it serves, STOPPING=1 on
/// SIGTERM, and logs in journald's format. The runtime recognises systemd by its parent's name, so the agent is
/// started by a copy of /bin/sh named "systemd" listening on a datagram socket of the test's own.
/// </summary>
public sealed class SystemdTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procactors-systemd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Under_systemd_the_agent_notifies_readiness_and_stopping_and_logs_for_journald()
    {
        var ct = TestContext.Current.CancellationToken;
        var socketPath = Path.Combine(_dir, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var launcher = Path.Combine(_dir, "systemd");
        File.Copy("/bin/sh", launcher);
        var pidFile = Path.Combine(_dir, "agent.pid");

        var info = AgentProcess.StartInfo(["--persistence", "none", "-web.listen-address", "127.0.0.1:" + ServedProcess.FreePort().ToString(CultureInfo.InvariantCulture)]);
        // sh -c 'dotnet procactors.dll ... & echo $! > pidfile; wait': the agent is the launcher's child.
        List<string> agentCommand = [info.FileName, .. info.ArgumentList];
        var start = new ProcessStartInfo(launcher) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("\"$0\" \"$@\" & echo $! > \"$PIDFILE\"; wait");
        foreach (var arg in agentCommand) start.ArgumentList.Add(arg);
        start.Environment["NOTIFY_SOCKET"] = socketPath;
        start.Environment["PIDFILE"] = pidFile;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var logs = process.StandardError.ReadToEndAsync(ct);
        try
        {
            Assert.Equal("READY=1", await ReceiveAsync(notify, ct));
            var agentPid = int.Parse((await File.ReadAllTextAsync(pidFile, ct)).Trim(), CultureInfo.InvariantCulture);
            using (var term = Process.Start("kill", ["-TERM", agentPid.ToString(CultureInfo.InvariantCulture)])) await term.WaitForExitAsync(ct);
            Assert.Equal("STOPPING=1", await ReceiveAsync(notify, ct));
            using var exit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            exit.CancelAfter(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exit.Token);
            // journald's format: a syslog priority prefix per line, e.g. "<6>Microsoft.Hosting.Lifetime[0] ...".
            Assert.Contains("<6>Microsoft.Hosting.Lifetime", await logs, StringComparison.Ordinal);
            var printed = await stdout;
            Assert.True(printed.Length == 0, "stdout under systemd must stay empty, it had:\n" + printed);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var buffer = new byte[4096];
        var length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
