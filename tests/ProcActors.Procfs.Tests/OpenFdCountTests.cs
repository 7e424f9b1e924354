using System.Diagnostics;

namespace ProcActors.Procfs.Tests;

/// <summary>On real /proc the reader may take the descriptor count from fd/'s size: it must equal the entries.</summary>
public sealed class OpenFdCountTests
{
    [Fact]
    public void The_open_fd_count_of_a_real_process_equals_its_fd_entries()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "30") { RedirectStandardInput = true })!;
        try
        {
            var reader = new ProcfsReader("/proc");
            Assert.True(reader.BeginScan(out _, out _));
            var found = false;
            while (reader.MoveNext())
            {
                if (reader.Current.Pid != child.Id) continue;
                var metrics = new ProcMetrics();
                Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));
                var entries = Directory.EnumerateFileSystemEntries($"/proc/{child.Id}/fd").Count();
                Assert.Equal((ulong)entries, metrics.OpenFds);
                Assert.True(entries >= 3);
                found = true;
            }
            Assert.True(found);
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }
}
