using ProcActors.Testing;
using System.Diagnostics;
using System.Text;
using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

/// <summary>
/// Processes and threads that exit in the middle of a read. One file of the fixture is a FIFO: the reader blocks on it
/// until the test has written its content and removed the process (or thread) folder, so that the exit falls exactly
/// between two reads without any timing.
/// </summary>
public sealed class ProcfsReaderRaceTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly FixtureTree _tree = new();

    public void Dispose() => _tree.Dispose();

    /// <summary>Replaces the file by a FIFO that serves <paramref name="content"/>, runs <paramref name="exit"/>, then ends the file.</summary>
    private static Task ServeThenExit(string path, string content, Action exit)
    {
        File.Delete(path);
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!)
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        return Task.Run(() =>
        {
            // Opening a FIFO to write waits for the reader to open it.
            using var fifo = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            fifo.Write(Encoding.UTF8.GetBytes(content));
            exit();
        });
    }

    /// <summary>Reads the metrics of the process; the read must reach the FIFO, else the writer is released and the test fails.</summary>
    private async Task<(ReadStatus Status, ProcMetrics Metrics)> ReadMetrics(int pid, string fifo, Task writer)
    {
        var reader = new ProcfsReader(_tree.Root);
        Assert.True(reader.BeginScan(out _, out _));
        while (reader.MoveNext() && reader.Current.Pid != pid) { }
        Assert.Equal(pid, reader.Current.Pid);
        var read = Task.Run(() =>
        {
            var metrics = new ProcMetrics();
            var status = reader.ReadMetrics(ref metrics);
            return (status, metrics);
        }, TestContext.Current.CancellationToken);
        var result = await read.WaitAsync(Patience, TestContext.Current.CancellationToken);
        // The reader's EOF comes when the writer closes the FIFO, a moment before the writer's task is marked done (in
        // CI the check came first): a writer that served the read ends within a second; one still waiting to open
        // the FIFO never does.
        if (await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken)) != writer)
        {
            // The reader never opened the FIFO: release the writer so that the test ends.
            await using (var drain = new FileStream(fifo, FileMode.Open, FileAccess.Read)) await drain.CopyToAsync(Stream.Null, TestContext.Current.CancellationToken);
            Assert.Fail("the read did not reach the FIFO");
        }
        await writer.WaitAsync(Patience, TestContext.Current.CancellationToken);
        return result;
    }

    [Fact]
    public async Task A_process_that_exits_after_its_status_is_read_has_vanished()
    {
        _tree.AddProcess(100, voluntary: 5);
        var status = _tree.PathOf(100, "status");
        var writer = ServeThenExit(status, ProcText.Status("worker", voluntary: 5), () => _tree.DeleteProcess(100));

        var (result, _) = await ReadMetrics(100, status, writer);

        Assert.Equal(ReadStatus.Vanished, result);
    }

    [Fact]
    public async Task A_thread_that_exits_after_its_stat_is_read_is_not_counted()
    {
        _tree.AddProcess(200, threads: [new FixtureThread(200, "main"), new FixtureThread(201, "leaving", 'R')]);
        var stat = _tree.PathOf(200, "task/201/stat");
        var writer = ServeThenExit(stat, ProcText.Stat(201, "leaving", 'R', numThreads: 2),
            () => Directory.Delete(_tree.PathOf(200, "task/201"), recursive: true));

        var (result, metrics) = await ReadMetrics(200, stat, writer);

        // "A thread that exits mid-read is simply not counted" (ProcfsReader.ReadThreads).
        Assert.Equal([200], metrics.Threads!.Take(metrics.ThreadCount).Select(t => t.Tid));
        Assert.Equal(new ThreadStates { Sleeping = 1 }, metrics.States);
        Assert.Equal(MissingParts.None, metrics.Missing);
        Assert.Equal(ReadStatus.Ok, result);
    }
}
