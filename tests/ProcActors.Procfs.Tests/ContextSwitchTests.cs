using ProcActors.Testing;

namespace ProcActors.Procfs.Tests;

public sealed class ContextSwitchTests : IDisposable
{
    private readonly FixtureTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void A_multi_threaded_process_switches_as_often_as_all_its_threads_together()
    {
        // status of the process is its main thread's: 10/1; the other thread adds 20/2.
        _tree.AddProcess(500, "java", voluntary: 10, nonvoluntary: 1, threads:
        [
            new FixtureThread(500, "java", Voluntary: 10, Nonvoluntary: 1),
            new FixtureThread(501, "GC", Voluntary: 20, Nonvoluntary: 2),
        ]);
        var reader = new ProcfsReader(_tree.Root);
        Assert.True(reader.BeginScan(out _, out _));
        Assert.True(reader.MoveNext());
        var metrics = new ProcMetrics();

        Assert.Equal(ReadStatus.Ok, reader.ReadMetrics(ref metrics));

        Assert.Equal(30UL, metrics.Counts.VoluntaryCtxSwitches);
        Assert.Equal(3UL, metrics.Counts.NonvoluntaryCtxSwitches);
    }
}
