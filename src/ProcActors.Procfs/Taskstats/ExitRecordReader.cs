using System.Collections.Concurrent;

namespace ProcActors.Procfs.Taskstats;

/// <summary>
/// Reads exit records on a dedicated thread into a queue the scan drains: it waits for a record, takes every record
/// queued by then, and pauses <see cref="DefaultCoalesce"/> before it waits again. The socket buffer holds a burst
/// while the thread pauses or is descheduled; when it overflows anyway the kernel drops
/// messages and says so once (ENOBUFS), counted in <see cref="Overflows"/>. The queue is bounded too: records
/// beyond it are dropped and counted.
/// </summary>
public sealed class ExitRecordReader : IDisposable
{
    /// <summary>
    /// 10,000 exits a second for a 3-second stall: a record costs ~1.3 KB of socket buffer (a 560-byte struct in a
    /// netlink message, in an skb). The kernel doubles what is asked.
    /// </summary>
    public const int DefaultReceiveBufferBytes = 24 * 1024 * 1024;

    /// <summary>
    /// The pause after a batch: at most ~100 wakeups a second however fast processes exit; a record waits at most this
    /// long before it is queued (the scan takes records every few seconds), and 10 ms of 10,000 exits a second is
    /// ~130 KB of the socket buffer.
    /// </summary>
    public static readonly TimeSpan DefaultCoalesce = TimeSpan.FromMilliseconds(10);

    private readonly TaskstatsConnection _connection;
    private readonly TimeSpan _coalesce;
    private long _batches;
    private readonly ConcurrentQueue<ExitRecord> _queue = new();
    private readonly int _capacity;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _queued;
    private long _records;
    private long _overflows;
    private long _dropped;
    private long _malformed;

    private ExitRecordReader(TaskstatsConnection connection, int capacity, TimeSpan coalesce)
    {
        _connection = connection;
        _capacity = capacity;
        _coalesce = coalesce;
        _thread = new Thread(Run) { IsBackground = true, Name = "taskstats exits" };
    }

    /// <summary>Registers and starts reading, or says why it cannot.</summary>
    /// <param name="coalesce">
    /// How long the reading thread pauses after a batch of records before it waits for the next one
    /// (<see cref="DefaultCoalesce"/>); zero reads each record as it comes.
    /// </param>
    public static ExitRecordReader? TryStart(out string? error, int receiveBufferBytes = DefaultReceiveBufferBytes, int capacity = 1_000_000, TimeSpan? coalesce = null)
    {
        var connection = TaskstatsConnection.TryOpen(receiveBufferBytes, out error);
        if (connection is null) return null;
        var reader = new ExitRecordReader(connection, capacity, coalesce ?? DefaultCoalesce);
        reader._thread.Start();
        return reader;
    }

    public TaskstatsConnection Connection => _connection;

    /// <summary>Task records received (threads and processes).</summary>
    public long Records => Interlocked.Read(ref _records);

    /// <summary>Times the kernel dropped records because the socket buffer was full (each at least one record).</summary>
    public long Overflows => Interlocked.Read(ref _overflows);

    /// <summary>Records dropped because the queue was full (nobody drained it).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Times the reading thread woke to records: each read everything queued then.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Datagrams that did not parse.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Set when the kernel sends a layout this reader refuses; reading has then stopped.</summary>
    public string? Refusal { get; private set; }

    /// <summary>Moves every queued record into the list.</summary>
    public void Drain(List<ExitRecord> into)
    {
        while (_queue.TryDequeue(out var record))
        {
            Interlocked.Decrement(ref _queued);
            into.Add(record);
        }
        Volatile.Write(ref _signalled, 0);
    }

    /// <summary>Records received and not drained yet.</summary>
    public int Backlog => Volatile.Read(ref _queued);

    /// <summary>
    /// Calls <paramref name="signal"/> (on the reading thread: it must only post a message) when the records not
    /// drained reach <paramref name="threshold"/>, once until the next <see cref="Drain"/>. Nothing is called while
    /// fewer records come: an idle machine is never woken for them. Replaces an earlier signal.
    /// </summary>
    public void OnBacklog(int threshold, Action signal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        _backlog = new BacklogSignal(threshold, signal);
    }

    private sealed record BacklogSignal(int Threshold, Action Signal);

    private volatile BacklogSignal? _backlog;

    /// <summary>1 once the signal was called, until the next drain.</summary>
    private int _signalled;

    public void Dispose()
    {
        _stopping = true;
        if (_thread.IsAlive && Thread.CurrentThread != _thread) _thread.Join();
        _connection.Dispose();
    }

    private void Run()
    {
        var buffer = new byte[64 * 1024];
        var parsed = new List<ExitRecord>(4);
        while (!_stopping && Refusal is null)
        {
            // Waits for the first record of a batch (or the receive timeout, to see a stop).
            if (!ReceiveOne(buffer, parsed, dontWait: false)) continue;
            Interlocked.Increment(ref _batches);
            // Then takes what is already queued without waiting, and pauses before waiting again, so that a burst of
            // exits wakes this thread a hundred times a second rather than once per record: on a VM a wakeup costs
            // more than reading the record (the socket buffer holds seconds of them meanwhile).
            while (!_stopping && Refusal is null && ReceiveOne(buffer, parsed, dontWait: true)) { }
            if (_coalesce > TimeSpan.Zero && !_stopping) Thread.Sleep(_coalesce);
        }
    }

    /// <summary>Reads and queues one datagram; false when none came (timeout, nothing queued, error).</summary>
    private bool ReceiveOne(byte[] buffer, List<ExitRecord> parsed, bool dontWait)
    {
        var n = _connection.Receive(buffer, dontWait);
        if (n == -NetlinkNative.ENOBUFS)
        {
            Interlocked.Increment(ref _overflows);
            return true;
        }
        if (n <= 0) return false;
        var received = NetlinkNative.BoottimeNanos();
        parsed.Clear();
        var status = TaskstatsParser.Parse(buffer.AsSpan(0, n), _connection.FamilyId, received, parsed, out var problem);
        if (status == ParseStatus.Unsupported)
        {
            Refusal = problem;
            return false;
        }
        if (status == ParseStatus.Malformed) Interlocked.Increment(ref _malformed);
        foreach (var record in parsed)
        {
            Interlocked.Increment(ref _records);
            if (Interlocked.Increment(ref _queued) > _capacity)
            {
                Interlocked.Decrement(ref _queued);
                Interlocked.Increment(ref _dropped);
                continue;
            }
            _queue.Enqueue(record);
        }
        if (_backlog is { } backlog && Volatile.Read(ref _queued) >= backlog.Threshold && Interlocked.Exchange(ref _signalled, 1) == 0)
            backlog.Signal();
        return true;
    }
}
