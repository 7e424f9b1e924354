using System.Buffers;
using System.Threading.Channels;
using ProcActors.Procfs;
using ProcActors.Tracking;
using ProcActors.Tracking.Exits;

namespace ProcActors.Actors.Pipeline;

/// <summary>
/// Delivers a scan into a bounded channel in batches. When the consumers fall behind the channel fills and the
/// scan thread waits here: backpressure holds the scanner instead of growing a mailbox.
/// </summary>
public sealed class ChannelProcSink(ChannelWriter<ScanBatch> writer, int batchSize = 256) : IProcSink
{
    /// <summary>
    /// Thread copies are rented here on the scan thread and returned by the group actors, up to one per threaded
    /// process in flight: the shared pool keeps a few arrays per core and would leave the rest (~1.5 MB a cycle at
    /// 10,000 processes) to the GC.
    /// </summary>
    private static readonly ArrayPool<ThreadSample> ThreadCopies = ArrayPool<ThreadSample>.Create(1 << 16, 2048);

    private ProcSample[] _samples = [];
    private int _count;
    private long _cycle;
    private ProcExit[]? _exits;

    public void Begin(long cycle)
    {
        _cycle = cycle;
        _samples = ArrayPool<ProcSample>.Shared.Rent(batchSize);
        _count = 0;
    }

    public void Observe(in ProcSample sample)
    {
        ref var slot = ref _samples[_count++];
        slot = sample;
        // The reader reuses its thread buffer for the next process: this sample keeps a copy until a group actor has used it.
        if (sample.Metrics.Threads is { } threads)
        {
            var copy = ThreadCopies.Rent(sample.Metrics.ThreadCount);
            Array.Copy(threads, copy, sample.Metrics.ThreadCount);
            slot.Metrics.Threads = copy;
        }
        if (_count == batchSize)
        {
            Write(new ScanBatch(_cycle, _samples, _count, null));
            Begin(_cycle);
        }
    }

    /// <summary>
    /// Exits to deliver with this cycle (they ride its next batch: the first, for those observed before the scan). A
    /// cycle may observe several lists (the records before the scan, the teardown after it): none replaces another.
    /// </summary>
    public void ObserveExits(List<ProcExit> exits)
    {
        if (exits.Count == 0) return;
        _exits = _exits is null ? [.. exits] : [.. _exits, .. exits];
    }

    /// <summary>Sends the rest of the cycle with its end marker.</summary>
    public void Complete(CycleEnd end) => Write(new ScanBatch(_cycle, _samples, _count, end));

    /// <summary>Hands a batch's sample array back once its samples were copied on (their thread copies travel with them).</summary>
    public static void ReleaseBatch(ScanBatch batch) => ArrayPool<ProcSample>.Shared.Return(batch.Samples, clearArray: true);

    /// <summary>Hands a sample's thread copy back once the sample was observed.</summary>
    public static void ReleaseThreads(in ProcSample sample)
    {
        if (sample.Metrics.Threads is { } threads) ThreadCopies.Return(threads);
    }

    private void Write(ScanBatch batch)
    {
        if (_exits is not null)
        {
            batch = new ScanBatch(batch.Cycle, batch.Samples, batch.Count, batch.End) { Exits = _exits };
            _exits = null;
        }
        while (!writer.TryWrite(batch))
        {
            if (!writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult())
                throw new ChannelClosedException("the scan channel was closed while a scan was running");
        }
    }
}
