using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>A host as this node knows it: membership from cluster events, figures from its last summary.</summary>
public sealed record FleetMember(string Name, string Address, long Uid, NodeStatus Status, DateTimeOffset Since, NodeSummary? Summary)
{
    public NodeInfo Info() =>
        new(Name, Address, Status, Summary?.Cycle ?? 0, Summary?.UpdatedAt, Summary?.Processes ?? 0, Summary?.Version ?? "");

    /// <summary>A host that left has no current figures; an unreachable one keeps its last, flagged by its status.</summary>
    public bool Reports => Summary is not null && Status != NodeStatus.Left;
}

/// <summary>
/// The fleet as one node sees it, immutable, replaced on every change: fleet queries and /metrics/fleet are answered
/// from it without asking any other node, so they take the same time whether the others are up or not.
/// </summary>
public sealed class FleetView(string self, IReadOnlyList<FleetMember> members)
{
    /// <summary>What one page of a fleet answer may weigh: a small fraction of the transport's frame (hocon/cluster.hocon).</summary>
    public const int PageBytes = WireSize.PageBytes;

    /// <summary>Starts from the clock so that a restarted agent never reuses a version a client still holds.</summary>
    private static long s_versions = DateTime.UtcNow.Ticks;

    public static FleetView Empty(string self) => new(self, []);

    public string Self { get; } = self;

    /// <summary>Unique in this process: names the view a paged answer comes from, so pages of two views never mix.</summary>
    public long Version { get; } = Interlocked.Increment(ref s_versions);

    /// <summary>Ordered by name.</summary>
    public IReadOnlyList<FleetMember> Members { get; } = members;

    public FleetMember? Find(string name) => Members.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal));

    private NodesResponse? _nodes;
    private FleetGroupsResponse? _groups;
    private FleetGroupsResponse[]? _pages;

    /// <summary>Answers are computed once per view: a view serves many queries between two summaries.</summary>
    public NodesResponse Nodes() => _nodes ??= new(Self, [.. Members.Select(m => m.Info())]);

    public FleetGroupsResponse Groups() => _groups ??= ComputeGroups();

    /// <summary>The answer cut into pages of at most <see cref="PageBytes"/> (rows first, then merged groups), cut once per view.</summary>
    public IReadOnlyList<FleetGroupsResponse> GroupPages() => _pages ??= Paging.Cut(Groups(), Version, PageBytes);

    private FleetGroupsResponse ComputeGroups()
    {
        var rows = new List<NodeGroup>();
        var merged = new Dictionary<string, GroupSummary>(StringComparer.Ordinal);
        foreach (var member in Members.Where(m => m.Reports))
        {
            foreach (var group in member.Summary!.Groups)
            {
                rows.Add(new NodeGroup(member.Name, member.Status, group));
                merged[group.Name] = merged.TryGetValue(group.Name, out var sum) ? Merge(sum, group) : group;
            }
        }
        return new FleetGroupsResponse(Self,
            [.. rows.OrderBy(r => r.Group.Name, StringComparer.Ordinal).ThenBy(r => r.Node, StringComparer.Ordinal)],
            [.. merged.Values.OrderBy(g => g.Name, StringComparer.Ordinal)]);
    }

    public FleetTopResponse Top(int n, TopBy by)
    {
        var all = Members.Where(m => m.Reports).SelectMany(m => m.Summary!.Top.Select(p => new NodeProcess(m.Name, p)));
        var ordered = by switch
        {
            TopBy.Rss => all.OrderByDescending(p => p.Process.ResidentBytes),
            TopBy.Io => all.OrderByDescending(p => p.Process.IoBytesPerSecond),
            _ => all.OrderByDescending(p => p.Process.CpuPercent),
        };
        return new FleetTopResponse(Self, by, [.. ordered.ThenBy(p => p.Node, StringComparer.Ordinal).ThenBy(p => p.Process.Pid).Take(Math.Max(0, n))]);
    }

    /// <summary>Sums of two hosts' groups of the same name.</summary>
    public static GroupSummary Merge(GroupSummary a, GroupSummary b) =>
        new(a.Name, a.Procs + b.Procs, a.CpuUserSeconds + b.CpuUserSeconds, a.CpuSystemSeconds + b.CpuSystemSeconds,
            a.ReadBytes + b.ReadBytes, a.WriteBytes + b.WriteBytes, a.MajorPageFaults + b.MajorPageFaults, a.MinorPageFaults + b.MinorPageFaults,
            a.VoluntaryContextSwitches + b.VoluntaryContextSwitches, a.NonvoluntaryContextSwitches + b.NonvoluntaryContextSwitches,
            a.ResidentBytes + b.ResidentBytes, a.VirtualBytes + b.VirtualBytes, a.SwappedBytes + b.SwappedBytes,
            a.ProportionalResidentBytes + b.ProportionalResidentBytes, a.ProportionalSwappedBytes + b.ProportionalSwappedBytes,
            a.OpenFileDescriptors + b.OpenFileDescriptors, Math.Max(a.WorstFdRatio, b.WorstFdRatio),
            a.OldestStartTime is null ? b.OldestStartTime : b.OldestStartTime is null ? a.OldestStartTime : a.OldestStartTime < b.OldestStartTime ? a.OldestStartTime : b.OldestStartTime,
            a.NumThreads + b.NumThreads,
            new StateCounts(a.States.Running + b.States.Running, a.States.Sleeping + b.States.Sleeping, a.States.Waiting + b.States.Waiting,
                a.States.Zombie + b.States.Zombie, a.States.Other + b.States.Other),
            a.CpuPercent + b.CpuPercent, a.ReadBytesPerSecond + b.ReadBytesPerSecond, a.WriteBytesPerSecond + b.WriteBytesPerSecond);
}
