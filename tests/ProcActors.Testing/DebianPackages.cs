using System.Diagnostics;

namespace ProcActors.Testing;

/// <summary>
/// Programs some tests need beside the agent (Debian's prometheus-process-exporter, PostgreSQL's server): installed
/// with apt-get when missing and the tests run as root, the way .ci/run does, so that `dotnet test` passes on a fresh
/// machine too. Where that is impossible the caller skips with the reason this returns, never passes silently.
/// </summary>
public static class DebianPackages
{
    private static readonly SemaphoreSlim InProcess = new(1, 1);

    /// <summary>Null when <paramref name="path"/> exists (after installing <paramref name="package"/> if needed), else why not.</summary>
    public static async Task<string?> EnsureAsync(string path, string package)
    {
        if (Exists(path)) return null;
        if (Environment.UserName != "root") return $"{package} is not installed ({path} not found) and the tests do not run as root to install it";
        if (!File.Exists("/usr/bin/apt-get")) return $"{package} is not installed ({path} not found) and there is no apt-get here";
        await InProcess.WaitAsync().ConfigureAwait(false);
        try
        {
            // Test projects run in parallel processes: one apt-get at a time across them.
            await using var machineWide = await LockAsync().ConfigureAwait(false);
            if (Exists(path)) return null;
            var log = await RunAsync("/bin/sh", "-c",
                "apt-get update -qq && created= && if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created=1; fi; " +
                $"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends {package}; rc=$?; [ -n \"$created\" ] && rm -f /usr/sbin/policy-rc.d; exit $rc").ConfigureAwait(false);
            return Exists(path) ? null : $"{package} could not be installed ({path} still missing): {log.Trim().Split('\n').LastOrDefault()}";
        }
        finally
        {
            InProcess.Release();
        }
    }

    /// <summary>A path with a '*' (e.g. /usr/lib/postgresql/*/bin/initdb) exists when any match does.</summary>
    private static bool Exists(string path)
    {
        var star = path.IndexOf('*', StringComparison.Ordinal);
        if (star < 0) return File.Exists(path);
        var parent = Path.GetDirectoryName(path[..star])!;
        var rest = path[(path.IndexOf('/', star) + 1)..];
        return Directory.Exists(parent) && Directory.EnumerateDirectories(parent).Any(d => File.Exists(Path.Combine(d, rest)));
    }

    private static async Task<FileStream> LockAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(Path.Combine(Path.GetTempPath(), "procactors-tests-apt.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (deadline.Elapsed < TimeSpan.FromMinutes(10))
            {
                await Task.Delay(500).ConfigureAwait(false);
            }
        }
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        return await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
    }
}
