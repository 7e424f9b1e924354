using System.Text;

namespace ProcActors.Procfs.Tests;

public sealed class StatChildrenCpuTests
{
    [Fact]
    public void Reads_the_CPU_of_reaped_children()
    {
        var content = Encoding.ASCII.GetBytes("5 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 7 8 20 0 1 0 14 15 16");
        Assert.True(StatParser.TryParse(content, out var stat));
        Assert.Equal((12ul, 13ul, 7ul, 8ul), (stat.UserTicks, stat.SystemTicks, stat.ChildrenUserTicks, stat.ChildrenSystemTicks));
    }

    [Fact]
    public async Task The_CPU_of_a_child_counts_in_its_parent_once_reaped()
    {
        // The shell runs a busy child to its end, reaps it, then waits in a second child.
        var info = new System.Diagnostics.ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "/bin/sh -c 'j=0; while [ $j -lt 200000 ]; do j=$((j+1)); done'; echo done; exec sleep 30" },
            RedirectStandardOutput = true,
        };
        using var shell = System.Diagnostics.Process.Start(info)!;
        try
        {
            Assert.Equal("done", await shell.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken));
            var reader = new ProcfsReader("/proc");
            Assert.True(reader.BeginScan(out _, out var error), error);
            var metrics = new ProcMetrics();
            while (reader.MoveNext() && reader.Current.Pid != shell.Id)
            {
            }
            Assert.Equal(shell.Id, reader.Current.Pid);
            Assert.Contains(reader.ReadMetrics(ref metrics), new[] { ReadStatus.Ok, ReadStatus.Partial });
            // 200,000 shell loop rounds take well over 100 ms: more than 10 ticks.
            Assert.True(metrics.ReapedChildrenUserTicks + metrics.ReapedChildrenSystemTicks > 10);
        }
        finally
        {
            shell.Kill();
            await shell.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }
}
