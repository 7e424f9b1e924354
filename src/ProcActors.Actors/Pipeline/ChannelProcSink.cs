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

    /// <summary>
    /// Exit arrays (the cycle's, then each group's share) are rented here and returned once used: at 10,000 exits a
    /// second a cycle's exits were a fresh 1.2 MB array (large object heap, zeroed, its pages faulted in) copied from
    /// lists on the scan thread, then grouped into fresh arrays again by the router.
    /// </summary>
    private static readonly ArrayPool<ProcExit> ExitArrays = ArrayPool<ProcExit>.Create(1 << 20, 64);

    private ProcSample[] _samples = [];
    private int _count;
    private long _cycle;
    private ProcExit[]? _exits;
    private int _exitCount;

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
    public void ObserveExits(List<ProcExit> exits) => ObserveExits(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(exits));

    /// <inheritdoc cref="ObserveExits(List{ProcExit})"/>
    public void ObserveExits(ReadOnlySpan<ProcExit> exits)
    {
        if (exits.Length == 0) return;
        var needed = _exitCount + exits.Length;
        if (_exits is null || _exits.Length < needed)
        {
            var bigger = RentExits(Math.Max(needed, 2 * _exitCount));
            if (_exits is not null)
            {
                _exits.AsSpan(0, _exitCount).CopyTo(bigger);
                ReturnExits(_exits);
            }
            _exits = bigger;
        }
        exits.CopyTo(_exits.AsSpan(_exitCount));
        _exitCount = needed;
    }

    /// <summary>An exit array of at least <paramref name="length"/> from the pool (longer: the count travels beside it).</summary>
    public static ProcExit[] RentExits(int length) => ExitArrays.Rent(length);

    /// <summary>Hands an exit array back once its exits were used (cleared: they hold group names).</summary>
    public static void ReturnExits(ProcExit[] exits) => ExitArrays.Return(exits, clearArray: true);

    /// <summary>
    /// Between scans: sends the exits observed so far, alone in a batch of cycle <paramref name="nextCycle"/> (the
    /// scan to come), so that the group actors apply them now rather than when that scan's first batch comes. They are
    /// the same exits, in the same cycle, ahead of the same samples: only earlier.
    /// </summary>
    public void WriteExitsAhead(long nextCycle)
    {
        if (_exits is null) return;
        Write(new ScanBatch(nextCycle, ArrayPool<ProcSample>.Shared.Rent(1), 0, null));
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
            batch = new ScanBatch(batch.Cycle, batch.Samples, batch.Count, batch.End) { Exits = _exits, ExitCount = _exitCount };
            _exits = null;
            _exitCount = 0;
        }
        while (!writer.TryWrite(batch))
        {
            if (!writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult())
                throw new ChannelClosedException("the scan channel was closed while a scan was running");
        }
    }
}
