using System.Runtime.CompilerServices;
using ProcActors.Procfs;

namespace ProcActors.Tracking;

/// <summary>
/// Processes by identity, kept in the order the scan meets them. A scan lists /proc in the same order every time
/// (and a group actor sees its share in that order), so each lookup first tries the entry after the one met last and
/// only then the hash index: a steady table is read front to back like an array, without a hash or a random access per
/// process (at 10,000 processes the scanner's and the trackers' dictionary lookups were a fifth of the pipeline's
/// profile). The scan order is a chain through the entries (each names the next): a newcomer is stored at the end of
/// the array and linked in after the entry the scan met last, which is where the scan met it when it is added during
/// the scan: from the next scan on it costs no lookup through the index. The scanner and the trackers add theirs after
/// the scan (once named), so each of those costs the scans after it two lookups (itself and the entry after it) until
/// the table is laid out again. An entry the scan passes by (a process that exited since) costs none, since the entry
/// after it is tried too, and an emptied slot is passed through its link.
/// The array is laid out again in scan order, and the chain with it, only when a quarter of its slots are empty or a
/// scan needed the index for more than one lookup in 16 (newcomers added after scans, or the scan's order changed).
/// Not thread-safe.
/// </summary>
internal sealed class ScanOrderTable<T>
{
    private const int End = -1;

    private Entry[] _entries = new Entry[16];
    /// <summary>The array the next rebuild lays the entries out in: the two take turns, so a rebuild allocates nothing.</summary>
    private Entry[] _spare = [];
    private readonly Dictionary<ProcId, int> _index = [];
    /// <summary>Slots in use, live or emptied: [0, _used).</summary>
    private int _used;
    /// <summary>The first slot of the chain (the scan order), or <see cref="End"/>.</summary>
    private int _head = End;
    /// <summary>The slot the scan met last (<see cref="End"/> before its first): the next lookup tries the one after it.</summary>
    private int _previous = End;
    /// <summary>The slots the lookups of this scan found, in order: the layout of the next rebuild.</summary>
    private int[] _met = new int[16];
    private int _metCount;
    /// <summary>Lookups of this scan that needed the index.</summary>
    private int _misses;

    public int Count => _index.Count;

    /// <summary>Slots to go through with <see cref="IsLive"/>, <see cref="IdAt"/> and <see cref="ValueAt"/>.</summary>
    public int Slots => _used;

    /// <summary>Lookups since the last <see cref="Tidy"/> that did not find their entry where the scan order put it.</summary>
    public int IndexLookups => _misses;

    /// <summary>The value held for <paramref name="id"/>, or a null reference (<see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>), as the scan meets it.</summary>
    public ref T Find(ProcId id)
    {
        var at = NextLive(_previous);
        if (at == End || _entries[at].Id != id)
        {
            // The entry in the way may be of a process that exited: try the one after it before the index.
            at = at == End ? End : NextLive(at);
            if (at == End || _entries[at].Id != id)
            {
                if (!_index.TryGetValue(id, out at)) return ref Unsafe.NullRef<T>();
                _misses++;
            }
        }
        _previous = at;
        Met(at);
        return ref _entries[at].Value;
    }

    /// <summary>
    /// The value the scan is expected to meet <paramref name="distance"/> lookups from now (1: the next one), or a null
    /// reference past the end or on an emptied slot: what a caller can ask the cache for ahead of time.
    /// </summary>
    public ref T Ahead(int distance)
    {
        var at = _previous;
        for (var i = 0; i < distance; i++)
        {
            at = at == End ? _head : _entries[at].Next;
            if (at == End) return ref Unsafe.NullRef<T>();
        }
        if (!_entries[at].Live) return ref Unsafe.NullRef<T>();
        return ref _entries[at].Value;
    }

    /// <summary>The value held for <paramref name="id"/>, or a null reference, for a lookup outside the scan's order (moves nothing).</summary>
    public ref T Get(ProcId id)
    {
        if (!_index.TryGetValue(id, out var at)) return ref Unsafe.NullRef<T>();
        return ref _entries[at].Value;
    }

    /// <summary>Adds a value for an identity the table does not hold, linked in after the entry the scan met last.</summary>
    public ref T Add(ProcId id, T value)
    {
        if (_used == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
        var at = _used++;
        _index.Add(id, at);
        ref var link = ref _previous == End ? ref _head : ref _entries[_previous].Next;
        _entries[at] = new Entry { Id = id, Live = true, Next = link, Value = value };
        link = at;
        _previous = at;
        Met(at);
        return ref _entries[at].Value;
    }

    public bool Remove(ProcId id, out T value)
    {
        if (!_index.Remove(id, out var at))
        {
            value = default!;
            return false;
        }
        value = Empty(at);
        return true;
    }

    public bool IsLive(int slot) => _entries[slot].Live;

    public ProcId IdAt(int slot) => _entries[slot].Id;

    public ref T ValueAt(int slot) => ref _entries[slot].Value;

    /// <summary>Removes the live entry in <paramref name="slot"/> (while going through the slots).</summary>
    public void RemoveAt(int slot)
    {
        _index.Remove(_entries[slot].Id);
        Empty(slot);
    }

    /// <summary>
    /// Before a scan: when the last one needed the index too often (or a quarter of the slots are empty), the entries
    /// are laid out again in the order it met them, those it did not meet after them; the scan starts from the first.
    /// </summary>
    public void Tidy()
    {
        if (_misses > Math.Max(8, _index.Count / 16) || _used - _index.Count > Math.Max(16, _used / 4)) Rebuild();
        _previous = End;
        _metCount = 0;
        _misses = 0;
    }

    /// <summary>
    /// The first live entry of the chain after <paramref name="slot"/> (<see cref="End"/>: from its head); the emptied
    /// ones passed on the way are unlinked, so that each is passed once.
    /// </summary>
    private int NextLive(int slot)
    {
        ref var link = ref slot == End ? ref _head : ref _entries[slot].Next;
        var at = link;
        while (at != End && !_entries[at].Live) at = _entries[at].Next;
        link = at;
        return at;
    }

    private void Met(int slot)
    {
        if (_metCount == _met.Length)
        {
            // Lookups without a Tidy between them: the order of the first ones is enough to lay the table out.
            if (_met.Length >= 4 * Math.Max(16, _used)) return;
            Array.Resize(ref _met, _met.Length * 2);
        }
        _met[_metCount++] = slot;
    }

    private void Rebuild()
    {
        if (_spare.Length < _index.Count || _spare.Length > 2 * _entries.Length) _spare = new Entry[_entries.Length];
        var laid = _spare;
        var count = 0;
        // Each live entry once, in the order met (an entry met twice, or emptied since, is skipped: taken entries are
        // marked so in the old array), then the others in the chain's order.
        for (var i = 0; i < _metCount; i++)
        {
            ref var entry = ref _entries[_met[i]];
            if (!entry.Live) continue;
            laid[count++] = entry;
            entry.Live = false;
        }
        for (var at = _head; at != End; at = _entries[at].Next)
        {
            if (_entries[at].Live) laid[count++] = _entries[at];
        }
        // The old array is the next rebuild's: emptied, so that it holds nothing reachable.
        Array.Clear(_entries, 0, _used);
        _spare = _entries;
        _entries = laid;
        _used = count;
        _head = count == 0 ? End : 0;
        for (var i = 0; i < count; i++)
        {
            laid[i].Next = i + 1 < count ? i + 1 : End;
            _index[laid[i].Id] = i;
        }
    }

    private T Empty(int slot)
    {
        ref var entry = ref _entries[slot];
        var value = entry.Value;
        // Nothing stays reachable from an empty slot; its link stays, so that the chain goes on through it.
        entry = new Entry { Next = entry.Next };
        return value;
    }

    private struct Entry
    {
        public ProcId Id;
        public bool Live;
        /// <summary>The slot the scan meets after this one, or <see cref="End"/>.</summary>
        public int Next;
        public T Value;
    }
}
