using System.Threading.Channels;
using ProcActors.Actors.Pipeline;
using ProcActors.Procfs;
using ProcActors.Tracking;
using ProcActors.Tracking.Exits;

namespace ProcActors.Actors.Tests;

public sealed class ChannelProcSinkTests
{
    private static ProcSample Sample(int pid) => new() { Id = new ProcId(pid, 1), Group = "g" };

    [Fact]
    public async Task A_full_channel_holds_the_scanning_thread_until_the_consumer_takes_a_batch()
    {
        var channel = Channel.CreateBounded<ScanBatch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        var sink = new ChannelProcSink(channel.Writer, batchSize: 2);
        var observed = 0;
        var scan = Task.Factory.StartNew(() =>
        {
            sink.Begin(1);
            for (var pid = 1; pid <= 6; pid++)
            {
                sink.Observe(Sample(pid));
                Interlocked.Increment(ref observed);
            }
        }, TestContext.Current.CancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // The first batch fills the channel; the second cannot be written: the scan waits inside its 4th sample.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Volatile.Read(ref observed) < 3 && DateTime.UtcNow < deadline) await Task.Delay(10, TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(scan.IsCompleted);
        Assert.Equal(3, Volatile.Read(ref observed));

        var first = await channel.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal([1, 2], first.Samples.Take(first.Count).Select(s => s.Id.Pid));
        var second = await channel.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal([3, 4], second.Samples.Take(second.Count).Select(s => s.Id.Pid));
        await scan.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(6, observed);
    }

    [Fact]
    public async Task The_last_batch_of_a_cycle_carries_its_end_and_thread_samples_are_copied()
    {
        var channel = Channel.CreateUnbounded<ScanBatch>();
        var sink = new ChannelProcSink(channel.Writer, batchSize: 10);
        var threads = new ThreadSample[4];
        threads[0] = new ThreadSample { Tid = 7, Name = "t" };
        var sample = Sample(7);
        sample.Metrics.Threads = threads;
        sample.Metrics.ThreadCount = 1;

        sink.Begin(3);
        sink.Observe(sample);
        threads[0].Tid = 99; // the reader reuses its buffer for the next process
        var end = new CycleEnd(3, 0, DateTimeOffset.UnixEpoch, TimeSpan.Zero, new ScanResult(), 0);
        sink.Complete(end);

        var batch = await channel.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Same(end, batch.End);
        Assert.Equal(1, batch.Count);
        Assert.Equal(7, batch.Samples[0].Metrics.Threads![0].Tid);
        ChannelProcSink.ReleaseThreads(batch.Samples[0]);
        ChannelProcSink.ReleaseBatch(batch);
    }

    [Fact]
    public async Task Exits_observed_before_and_after_a_scan_all_ride_the_cycle()
    {
        // The records' exits come before the scan, the teardown after it; with fewer samples than a batch both ride
        // the cycle's one batch (the second list once replaced the first, and the records of the cycle were lost).
        var channel = Channel.CreateUnbounded<ScanBatch>();
        var sink = new ChannelProcSink(channel.Writer, batchSize: 10);
        sink.Begin(1);
        sink.ObserveExits((List<ProcExit>)[new ProcExit { Group = "burn", Pid = 201, Kind = ExitKind.Process }]);
        sink.Observe(Sample(1));
        sink.ObserveExits((List<ProcExit>)[new ProcExit { Group = "burn", Kind = ExitKind.Teardown }]);
        sink.ObserveExits((List<ProcExit>)[]);
        sink.Complete(new CycleEnd(1, 0, DateTimeOffset.UnixEpoch, TimeSpan.Zero, new ScanResult(), 0));

        var batch = await channel.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal([ExitKind.Process, ExitKind.Teardown], batch.Exits!.Take(batch.ExitCount).Select(e => e.Kind));

        // The next cycle starts with none.
        sink.Begin(2);
        sink.Complete(new CycleEnd(2, 0, DateTimeOffset.UnixEpoch, TimeSpan.Zero, new ScanResult(), 0));
        Assert.Null((await channel.Reader.ReadAsync(TestContext.Current.CancellationToken)).Exits);
    }

    [Fact]
    public async Task Exits_written_ahead_travel_alone_as_exits_of_the_scan_to_come()
    {
        var channel = Channel.CreateUnbounded<ScanBatch>();
        var sink = new ChannelProcSink(channel.Writer, batchSize: 10);
        sink.WriteExitsAhead(2);
        Assert.False(channel.Reader.TryRead(out _));

        sink.ObserveExits((List<ProcExit>)[new ProcExit { Group = "burn", Pid = 201, Kind = ExitKind.Process }]);
        sink.WriteExitsAhead(2);
        var ahead = await channel.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal((2L, 0, null), (ahead.Cycle, ahead.Count, ahead.End));
        Assert.Equal([201], ahead.Exits!.Take(ahead.ExitCount).Select(e => e.Pid));

        // The scan of cycle 2 then carries only what came after.
        sink.Begin(2);
        sink.Observe(Sample(1));
        sink.Complete(new CycleEnd(2, 0, DateTimeOffset.UnixEpoch, TimeSpan.Zero, new ScanResult(), 0));
        var scan = await channel.Reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Null(scan.Exits);
        Assert.Equal(1, scan.Count);
    }
}
