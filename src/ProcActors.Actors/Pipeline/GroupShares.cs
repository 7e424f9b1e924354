using ProcActors.Tracking;

namespace ProcActors.Actors.Pipeline;

/// <summary>Samples of one group on their way to its actor, in an array the actor hands back to <see cref="Buffers"/>.</summary>
public readonly record struct SampleShare(string Group, ProcSample[] Samples, int Count, SampleBuffers Buffers);

/// <summary>
/// Splits a cycle's samples into shares per group for the router. A group's samples gather across batches until its
/// share is full (then it is delivered at once, so large groups start working while the scan runs) or the cycle
/// ends: a few messages per group and cycle instead of one per group and batch, in arrays that come back to be
/// filled again. Not thread-safe: the router's alone.
/// </summary>
public sealed class GroupShares(int maxShare = 64)
{
    private const int FirstShare = 4;
    private readonly Dictionary<string, Open> _groups = new(StringComparer.Ordinal);
    private readonly List<Open> _pending = [];

    /// <summary>Groups whose state is kept (pools and share sizes), for the router's bound on vanished groups.</summary>
    public int Groups => _groups.Count;

    /// <summary>Adds a sample; true with a full share when its group's share just filled.</summary>
    public bool Add(in ProcSample sample, out SampleShare full)
    {
        if (!_groups.TryGetValue(sample.Group, out var open))
        {
            open = new Open(sample.Group, FirstShare);
            _groups.Add(sample.Group, open);
        }
        if (open.Count == 0)
        {
            open.Samples = open.Buffers.Take(open.Size);
            _pending.Add(open);
        }
        open.Samples![open.Count++] = sample;
        if (open.Count < open.Samples.Length)
        {
            full = default;
            return false;
        }
        full = open.Hand();
        // A group that fills its share in a cycle gets bigger shares from now on, up to the maximum.
        if (open.Size < maxShare) open.Size = Math.Min(maxShare, open.Size * 2);
        return true;
    }

    /// <summary>Whether samples of the group wait to be delivered (its actor must not be stopped now).</summary>
    public bool Holds(string group) => _groups.TryGetValue(group, out var open) && open.Count > 0;

    /// <summary>Every share not yet delivered (at the cycle's end, before the groups are told it ended).</summary>
    public void Flush(List<SampleShare> into)
    {
        foreach (var open in _pending)
        {
            if (open.Count > 0) into.Add(open.Hand());
        }
        _pending.Clear();
    }

    /// <summary>Drops the state of groups with nothing waiting (names come and go with templates such as {{.PID}}).</summary>
    public void ForgetIdle()
    {
        foreach (var (name, open) in _groups)
        {
            if (open.Count == 0) _groups.Remove(name);
        }
    }

    private sealed class Open(string group, int size)
    {
        public SampleBuffers Buffers { get; } = new();
        public ProcSample[]? Samples;
        public int Count;
        public int Size = size;

        public SampleShare Hand()
        {
            var share = new SampleShare(group, Samples!, Count, Buffers);
            Samples = null;
            Count = 0;
            return share;
        }
    }
}

/// <summary>
/// The share arrays of one group: taken by the router, handed back by the group actor once its tracker has the
/// samples (another thread, hence the lock). A couple circulate per group; an array of an outgrown size is dropped.
/// </summary>
public sealed class SampleBuffers
{
    private const int MaxKept = 4;
    private readonly Stack<ProcSample[]> _free = new(MaxKept);
    private readonly Lock _lock = new();

    public ProcSample[] Take(int size)
    {
        lock (_lock)
        {
            while (_free.TryPop(out var array))
            {
                if (array.Length == size) return array;
            }
        }
        return new ProcSample[size];
    }

    /// <summary>Back for reuse, cleared so that no static facts or group names of gone processes stay reachable.</summary>
    public void Return(ProcSample[] array, int count)
    {
        Array.Clear(array, 0, count);
        lock (_lock)
        {
            if (_free.Count < MaxKept) _free.Push(array);
        }
    }
}
