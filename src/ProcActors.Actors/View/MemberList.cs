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
        return list;
    }

    public int Count { get; private set; }

    public ReadOnlySpan<MemberView> Span => _items.AsSpan(0, Count);

    public MemberView this[int index] =>
        (uint)index < (uint)Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

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

    /// <summary>Starts filling a list of <paramref name="count"/> members: the array is kept when it fits.</summary>
    internal Span<MemberView> Fill(int count)
    {
        if (_items.Length < count || _items.Length > 2 * count + 64) _items = new MemberView[count + count / 4 + 4];
        else if (count < Count) Array.Clear(_items, count, Count - count); // no stale names or command lines kept alive
        Count = count;
        return _items.AsSpan(0, count);
    }

    /// <summary>Keeps only the first <paramref name="count"/> members filled (no stale names or command lines kept alive).</summary>
    internal void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count);
        Array.Clear(_items, count, Count - count);
        Count = count;
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
/// The member lists of one group: taken by its group actor at the end of a cycle, returned by the store when no view
/// holding them can be read any more. A few lists per group circulate (the view served, the one before it, the one
/// being filled); a list not returned (a view dropped, an actor restarted) is left to the GC.
/// </summary>
public sealed class MemberListPool
{
    private const int MaxKept = 4;
    private readonly Stack<MemberList> _free = new(MaxKept);
    private readonly Lock _lock = new();

    /// <summary>A list holding exactly the members written into the returned span.</summary>
    public MemberList Take(int count, out Span<MemberView> members)
    {
        MemberList? list;
        lock (_lock)
        {
            if (_free.TryPop(out list)) list.Pooled = false;
        }
        list ??= MemberList.Create(this);
        members = list.Fill(count);
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
