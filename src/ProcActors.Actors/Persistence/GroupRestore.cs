using ProcActors.Actors.View;
using ProcActors.Procfs;
using ProcActors.Tracking;

namespace ProcActors.Actors.Persistence;

/// <summary>One group's share of a snapshot, handed to its group actor when it is created.</summary>
public sealed record GroupRestore(GroupSnapshot Group, IReadOnlyList<ProcessSnapshot> Processes)
{
    /// <summary>
    /// The group as the last published view holds it: what a restarted group actor continues from. Its members'
    /// last raw readings are the baselines, so their next readings count only what is new, and nothing is lost.
    /// </summary>
    public static GroupRestore? FromView(NodeView view, string group) =>
        view.Groups.TryGetValue(group, out var current)
            ? new GroupRestore(
                GroupSnapshot.From(current.Stats),
                [.. current.Members.Select(m => new ProcessSnapshot(m.Pid, m.StartTicks, group, CountsSnapshot.From(m.Raw)))])
            : null;

    public void ApplyTo(Tracker tracker) =>
        tracker.Restore(
            Group.Name,
            Group.Counts.ToCounts(),
            Group.Threads.ToDictionary(t => t.Key, t => t.Value.ToCounts(), StringComparer.Ordinal),
            Processes.Select(p => new KeyValuePair<ProcId, ProcCounts>(new ProcId(p.Pid, p.StartTicks), p.Raw.ToCounts())));

    /// <summary>The same state loaded after counting had begun: merged with what the tracker counted since.</summary>
    public void MergeLateInto(Tracker tracker, ulong? savedScanUptimeTicks) =>
        tracker.MergeLate(
            Group.Name,
            Group.Counts.ToCounts(),
            Group.Threads.ToDictionary(t => t.Key, t => t.Value.ToCounts(), StringComparer.Ordinal),
            Processes.ToDictionary(p => new ProcId(p.Pid, p.StartTicks), p => p.Raw.ToCounts()),
            savedScanUptimeTicks);
}
