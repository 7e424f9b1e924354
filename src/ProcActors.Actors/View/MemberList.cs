using System.Collections;

namespace ProcActors.Actors.View;

/// <summary>
/// A group's members as one cycle left them, in an array that is filled again a few cycles later: at 10,000
/// processes a fresh array per group per cycle was ~1.3 MB of garbage a cycle. Read-only once reported. The
/// <see cref="NodeViewStore"/> hands it back to its pool two views after the view holding it was replaced, so a
/// reader that took a view while it was current has a whole cycle to copy what it needs
/// (<see cref="NodeViewStore.ReadConsistent{T}"/> checks that for readers on other threads).
/// </summary>
public sealed class MemberList : IReadOnlyList<MemberView>
{
    private readonly MemberListPool? _pool;
    private MemberView[] _items;
    /// <summary>Slots written by an earlier filling and not cleared yet.</summary>
    private int _filledBefore;

    private MemberList(MemberListPool? pool, int capacity)
    {
        _pool = pool;
        _items = capacity == 0 ? [] : new MemberView[capacity];
    }

    /// <summary>A list nobody recycles (tests, restored views).</summary>
    public static MemberList Of(ReadOnlySpan<MemberView> members)
    {
        var list = new MemberList(null, members.Length);
        members.CopyTo(list._items);
        list.Count = members.Length;
        list._filledBefore = members.Length;
        return list;
    }

    public int Count { get; private set; }

    public ReadOnlySpan<MemberView> Span => _items.AsSpan(0, Count);

    public MemberView this[int index] =>
        (uint)index < (uint)Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The whole array, filled or not (tests: what a filling leaves behind).</summary>
    internal ReadOnlySpan<MemberView> Storage => _items;

    /// <summary>In its pool's free list: a second release of the same list is ignored.</summary>
    internal bool Pooled { get; set; }

    /// <summary>Back to the pool it came from (once no view that holds it can be read any more).</summary>
    internal void Release() => _pool?.Return(this);

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<MemberView> IEnumerable<MemberView>.GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return _items[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<MemberView>)this).GetEnumerator();

    /// <summary>
    /// Starts filling the list again, one member at a time, for about <paramref name="capacity"/> members: the array is
    /// kept when it fits. The members of the previous filling are overwritten, and <see cref="Complete"/> clears those
    /// left beyond the new count (no stale names or command lines kept alive).
    /// </summary>
    internal void Restart(int capacity)
    {
        if (_items.Length < capacity || _items.Length > 2 * capacity + 64)
        {
            _items = new MemberView[capacity + capacity / 4 + 4];
            _filledBefore = 0;
        }
        else
        {
            _filledBefore = Math.Max(_filledBefore, Count);
        }
        Count = 0;
    }

    /// <summary>Adds a member to the list being filled, growing it when full.</summary>
    internal void Add(in MemberView member)
    {
        if (Count == _items.Length) Array.Resize(ref _items, 2 * Count + 4);
        _items[Count++] = member;
    }

    /// <summary>Ends a filling: the slots of an earlier, longer filling are cleared.</summary>
    internal void Complete()
    {
        if (_filledBefore > Count) Array.Clear(_items, Count, _filledBefore - Count);
        _filledBefore = Count;
    }

    internal static MemberList Create(MemberListPool pool) => new(pool, 0);

    public struct Enumerator(MemberList list)
    {
        private int _index = -1;

        public readonly MemberView Current => list._items[_index];

        public bool MoveNext() => ++_index < list.Count;
    }
}

/// <summary>
/// The member lists of one group: taken by its group actor at the start of a cycle and filled as the group's processes
/// are observed, returned by the store when no view holding them can be read any more. A few lists per group
/// circulate (the view served, the one before it, the one being filled); a list not returned (a view dropped, an actor
/// restarted) is left to the GC.
/// </summary>
public sealed class MemberListPool
{
    private const int MaxKept = 4;
    private readonly Stack<MemberList> _free = new(MaxKept);
    private readonly Lock _lock = new();

    /// <summary>A list to fill (<see cref="MemberList.Add"/>, then <see cref="MemberList.Complete"/>), with room for about <paramref name="capacity"/> members.</summary>
    public MemberList Take(int capacity)
    {
        MemberList? list;
        lock (_lock)
        {
            if (_free.TryPop(out list)) list.Pooled = false;
        }
        list ??= MemberList.Create(this);
        list.Restart(capacity);
        return list;
    }

    internal void Return(MemberList list)
    {
        lock (_lock)
        {
            if (list.Pooled || _free.Count >= MaxKept) return;
            list.Pooled = true;
            _free.Push(list);
        }
    }
}
