using System.Runtime.CompilerServices;
using ProcActors.Procfs;

namespace ProcActors.Tracking;

/// <summary>
/// Who is who: every process identity seen in the last scan, tracked under a group or ignored, and the pid of each.
/// This is the identity half of the seed's Tracker (its Tracked/ProcIds maps). Unlike the seed, an ignored process
/// that exits is forgotten too, so neither map outgrows the live process table.
/// </summary>
public sealed class ProcRegistry
{
    private readonly ScanOrderTable<Entry> _entries = new();
    private readonly Dictionary<int, ProcId> _pids = [];
    private long _cycle;

    /// <summary>Number of identities held (tracked and ignored).</summary>
    public int Count => _entries.Count;

    /// <summary>Number of pids held: never more than <see cref="Count"/>.</summary>
    public int PidCount => _pids.Count;

    public void BeginCycle()
    {
        _cycle++;
        _entries.Tidy();
    }

    /// <summary>Looks the identity up and marks it seen in this cycle.</summary>
    public bool TryTouch(ProcId id, out string? group)
    {
        ref var entry = ref _entries.Find(id);
        if (!Unsafe.IsNullRef(ref entry))
        {
            entry.LastSeen = _cycle;
            group = entry.Group;
            return true;
        }
        group = null;
        return false;
    }

    /// <summary>Marks the tracked process with this pid seen in this cycle (its stat could not be read): its identity and group.</summary>
    public (ProcId Id, string Group)? TouchByPid(int pid)
    {
        if (!_pids.TryGetValue(pid, out var id)) return null;
        ref var entry = ref _entries.Find(id);
        if (Unsafe.IsNullRef(ref entry) || entry.Group is not { } group) return null;
        entry.LastSeen = _cycle;
        return (id, group);
    }

    /// <summary>The group of the live process with this pid: null when unknown or ignored.</summary>
    public bool TryGetByPid(int pid, out ProcId id, out string? group)
    {
        group = null;
        if (!_pids.TryGetValue(pid, out id)) return false;
        ref var entry = ref _entries.Get(id);
        if (Unsafe.IsNullRef(ref entry)) return false;
        group = entry.Group;
        return true;
    }

    /// <summary>Registers a process seen in this cycle, under a group or, with null, as ignored. A reused pid replaces its old identity.</summary>
    public void Add(ProcId id, string? group)
    {
        if (_pids.TryGetValue(id.Pid, out var old) && old != id) _entries.Remove(old, out _);
        _pids[id.Pid] = id;
        ref var entry = ref _entries.Get(id);
        if (Unsafe.IsNullRef(ref entry)) _entries.Add(id, new Entry(group) { LastSeen = _cycle });
        else entry = new Entry(group) { LastSeen = _cycle };
    }

    /// <summary>Stops tracking a process but remembers it, so it is not read again while it lives.</summary>
    public void Ignore(ProcId id) => Add(id, null);

    /// <summary>Forgets every identity not seen in this cycle: they exited.</summary>
    public int EndCycle()
    {
        var removed = 0;
        for (var slot = 0; slot < _entries.Slots; slot++)
        {
            if (!_entries.IsLive(slot) || _entries.ValueAt(slot).LastSeen == _cycle) continue;
            var id = _entries.IdAt(slot);
            _entries.RemoveAt(slot);
            if (_pids.TryGetValue(id.Pid, out var current) && current == id) _pids.Remove(id.Pid);
            removed++;
        }
        return removed;
    }

    /// <summary>Held in the table itself, not in an object of its own: a scan looks up every process, one cache miss less each.</summary>
    private struct Entry(string? group)
    {
        public readonly string? Group = group;
        public long LastSeen;
    }
}
