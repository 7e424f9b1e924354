using ProcActors.Protocol;

namespace ProcActors.Actors.View;

/// <summary>Answers the Ask protocol from a node view: plain functions, no actor needed.</summary>
public static class NodeViewQueries
{
    public static GroupsResponse Groups(NodeView view) =>
        new(view.Node, view.Cycle, view.UpdatedAt,
            [.. view.Groups.Values.Select(g => Summary(g, view.TicksPerSecond)).OrderBy(g => g.Name, StringComparer.Ordinal)]);

    public static GroupResponse Group(NodeView view, string name)
    {
        if (!view.Groups.TryGetValue(name, out var group)) return new GroupResponse(view.Node, view.Cycle, null, []);
        var interval = IntervalSeconds(view);
        return new GroupResponse(view.Node, view.Cycle, Summary(group, view.TicksPerSecond),
            [.. group.Members.Select(m => Process(name, m, interval, view.TicksPerSecond)).OrderBy(p => p.Pid)]);
    }

    public static TopResponse Top(NodeView view, int n, TopBy by)
    {
        var ranked = Rank(view, by);
        return Top(view, ranked.AsSpan(0, Math.Clamp(n, 0, ranked.Length)), by);
    }

    /// <summary>Every member of every group, busiest first by the measure (ties by pid).</summary>
    public static (string Group, MemberView Member)[] Rank(NodeView view, TopBy by)
    {
        var all = view.Groups.SelectMany(g => g.Value.Members.Select(m => (Group: g.Key, Member: m)));
        var ordered = by switch
        {
            TopBy.Rss => all.OrderByDescending(x => x.Member.ResidentBytes),
            TopBy.Io => all.OrderByDescending(x => x.Member.IoBytesDelta),
            _ => all.OrderByDescending(x => x.Member.CpuTicksDelta),
        };
        return [.. ordered.ThenBy(x => x.Member.Pid)];
    }

    public static TopResponse Top(NodeView view, ReadOnlySpan<(string Group, MemberView Member)> top, TopBy by)
    {
        var interval = IntervalSeconds(view);
        var processes = new ProcessSummary[top.Length];
        for (var i = 0; i < top.Length; i++) processes[i] = Process(top[i].Group, top[i].Member, interval, view.TicksPerSecond);
        return new TopResponse(view.Node, view.Cycle, by, processes);
    }

    public static AgentStatusResponse Status(NodeView view, string version, DateTimeOffset startedAt)
    {
        var c = view.Counters;
        return new AgentStatusResponse(view.Node, version, startedAt, c.Cycles, c.LastScanDuration, c.LastUpdateLatency,
            c.ProcessesListed, c.ProcessesTracked, view.Groups.Count, c.ScrapeErrors, c.ReadErrors, c.PermissionErrors,
            c.PartialErrors, c.SkippedIntervals, c.BackwardsCounters);
    }

    public static GroupSummary Summary(GroupView group, int ticksPerSecond)
    {
        var s = group.Stats;
        var c = s.Counts;
        var m = s.Memory;
        return new GroupSummary(
            s.Name, s.Procs,
            (double)c.CpuUserTicks / ticksPerSecond, (double)c.CpuSystemTicks / ticksPerSecond,
            c.ReadBytes, c.WriteBytes, c.MajorPageFaults, c.MinorPageFaults, c.VoluntaryCtxSwitches, c.NonvoluntaryCtxSwitches,
            m.ResidentBytes, m.VirtualBytes, m.SwapBytes, m.ProportionalBytes, m.ProportionalSwapBytes,
            s.OpenFds, s.WorstFdRatio, s.OldestStartTime, s.NumThreads,
            new StateCounts(s.States.Running, s.States.Sleeping, s.States.Waiting, s.States.Zombie, s.States.Other),
            group.CpuPercent, group.ReadBytesPerSecond, group.WriteBytesPerSecond,
            s.ShortLived.ExitedUnseen, s.ShortLived.UnseenCpuSeconds);
    }

    private static ProcessSummary Process(string group, MemberView m, double interval, int ticksPerSecond) =>
        new(m.Pid, group, m.Name, m.Cmdline, m.StartTime, Rates.CpuPercent(m.CpuTicksDelta, interval, ticksPerSecond),
            m.ResidentBytes, interval > 0 ? m.IoBytesDelta / interval : 0);

    /// <summary>The member deltas span the last scan interval, which the view keeps as the agent's cadence.</summary>
    private static double IntervalSeconds(NodeView view) => view.IntervalSeconds;
}
