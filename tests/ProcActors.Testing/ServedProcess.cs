using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace ProcActors.Testing;

/// <summary>
/// A program serving HTTP on a free loopback port that a test started: its output is kept for failure messages,
/// and disposing it kills it (only it: we started it).
/// </summary>
public class ServedProcess : IAsyncDisposable
{
    // Long enough for a full scan of a large tree by a program that scans on every scrape.
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    protected ServedProcess(ProcessStartInfo info, int port)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        _process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start");
        Port = port;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public bool IsRunning => !_process.HasExited;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task<string> GetAsync(string path, CancellationToken cancellationToken) =>
        await Http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}{path}"), cancellationToken);

    /// <summary>Waits until the path answers; fails with the program's output when it exits or takes too long.</summary>
    public async Task WaitUntilServingAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with {_process.ExitCode}:\n{Output}");
            try
            {
                await GetAsync(path, cancellationToken);
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
        throw new TimeoutException($"{_process.StartInfo.FileName} did not serve {path} within {timeout.TotalSeconds} s:\n{Output}");
    }

    /// <summary>SIGTERM, as systemd stops a service: the program shuts down gracefully.</summary>
    public async Task<int> StopGracefullyAsync()
    {
        if (!Signal(15)) throw new InvalidOperationException($"SIGTERM not sent: {_process.StartInfo.FileName} had already exited (code {_process.ExitCode}):\n{Output}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>
    /// Sends a signal (e.g. 1, SIGHUP) to the program, only if it is still the process this object started: false when
    /// it has exited. A plain kill(pid) after the runtime reaped it could hit whatever reused the pid — another
    /// process, or the thread group of a thread of this test host (kill() with a thread's id signals its process). So
    /// the pid is pinned with a pidfd first, and the signal sent only if the process had not exited when it was opened.
    /// </summary>
    public bool Signal(int signal)
    {
        var fd = (int)Syscall(PidfdOpen, _process.Id, 0);
        if (fd < 0)
        {
            if (_process.HasExited) return false;
            throw new InvalidOperationException($"pidfd_open({_process.Id}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            // Opened before the runtime reaped it: the fd is this process. Reaped already: the fd may be a stranger.
            if (_process.HasExited) return false;
            if (Syscall(PidfdSendSignal, fd, signal, 0, 0) != 0)
                throw new InvalidOperationException($"pidfd_send_signal({signal}) failed: errno {Marshal.GetLastPInvokeError()}");
            return true;
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillHardAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        _process.Dispose();
        GC.SuppressFinalize(this);
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    // x86_64 and arm64 share these numbers (the unified syscall table of Linux 5.1+).
    private const long PidfdSendSignal = 424;
    private const long PidfdOpen = 434;

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, long a, long b);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, long a, long b, long c, long d);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
