using ProcActors.Testing;

namespace ProcActors.Procfs.Tests;

/// <summary>The reader's per-thread buffers follow the largest process it reads, back down once that one is gone.</summary>
public sealed class ThreadBufferTests : IDisposable
{
    private readonly FixtureTree _tree = new(inMemory: true);

    public void Dispose() => _tree.Dispose();

    private static void ScanAll(ProcfsReader reader)
    {
        Assert.True(reader.BeginScan(out _, out var error), error);
        var metrics = new ProcMetrics();
        while (reader.MoveNext())
        {
            if (reader.CurrentStatus == ReadStatus.Ok) reader.ReadMetrics(ref metrics);
        }
    }

    [Fact]
    public void The_thread_buffer_of_a_huge_process_is_given_back_once_it_exits()
    {
        const int threads = 5_000;
        _tree.AddProcess(10, "small", numThreads: 3, threads: [new(10, "small"), new(11, "a"), new(12, "b")]);
        _tree.AddProcess(20, "huge", numThreads: threads, threads: [new(20, "huge"), new(21, "worker")]);
        _tree.AddThreadClones(20, templateTid: 21, firstTid: 100_000, count: threads - 1);
        var reader = new ProcfsReader(_tree.Root);

        ScanAll(reader);
        Assert.True(reader.ThreadBufferLength >= threads, $"{reader.ThreadBufferLength}");
        // Still there: the room stays while it is needed.
        ScanAll(reader);
        Assert.True(reader.ThreadBufferLength >= threads, $"{reader.ThreadBufferLength}");

        _tree.DeleteProcess(20);
        ScanAll(reader);
        Assert.Equal(64, reader.ThreadBufferLength);
    }
}
