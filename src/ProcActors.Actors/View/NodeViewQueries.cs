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

    public static TopResponse Top(NodeView view, int n, TopBy by) => Top(view, Busiest(view, n, by), by);

    /// <summary>Every member of every group, busiest first by the measure (ties by pid).</summary>
    public static (string Group, MemberView Member)[] Rank(NodeView view, TopBy by)
    {
        var count = 0;
        foreach (var group in view.Groups.Values) count += group.Members.Count;
        var all = new (string Group, MemberView Member)[count];
        var i = 0;
        foreach (var (name, group) in view.Groups)
        {
            var members = group.Members;
            for (var m = 0; m < members.Count; m++) all[i++] = (name, members[m]);
        }
        Array.Sort(all, RankOrder.Of(by));
        return all;
    }

    /// <summary>
    /// The first <paramref name="n"/> of <see cref="Rank"/>, without ranking the rest: a bounded heap whose root is
    /// the least busy kept, O(members × log n). The fleet summary asks this of every view for each measure.
    /// </summary>
    public static (string Group, MemberView Member)[] Busiest(NodeView view, int n, TopBy by)
    {
        if (n <= 0) return [];
        var order = RankOrder.Of(by);
        // Reversed: the heap's minimum is the worst ranked kept, the one a busier member replaces.
        var heap = new PriorityQueue<(string Group, MemberView Member), (string Group, MemberView Member)>(Comparer<(string, MemberView)>.Create((a, b) => order.Compare(b, a)));
        foreach (var (name, group) in view.Groups)
        {
            var members = group.Members;
            for (var m = 0; m < members.Count; m++)
            {
                var entry = (name, members[m]);
                if (heap.Count < n) heap.Enqueue(entry, entry);
                else if (order.Compare(entry, heap.Peek()) < 0) heap.DequeueEnqueue(entry, entry);
            }
        }
        var top = new (string Group, MemberView Member)[heap.Count];
        for (var i = top.Length - 1; i >= 0; i--) top[i] = heap.Dequeue();
        return top;
    }

    /// <summary>Busiest first by the measure, then by pid: the order of <see cref="Rank"/>.</summary>
    private sealed class RankOrder(TopBy by) : IComparer<(string Group, MemberView Member)>
    {
        private static readonly RankOrder[] ByMeasure = [new(TopBy.Cpu), new(TopBy.Rss), new(TopBy.Io)];

        /// <summary>A measure this build does not know ranks by CPU, as the switch below does.</summary>
        public static RankOrder Of(TopBy by) => (uint)by < (uint)ByMeasure.Length ? ByMeasure[(int)by] : ByMeasure[0];

        public int Compare((string Group, MemberView Member) x, (string Group, MemberView Member) y)
        {
            var byMeasure = Key(y.Member).CompareTo(Key(x.Member));
            return byMeasure != 0 ? byMeasure : x.Member.Pid.CompareTo(y.Member.Pid);
        }

        private ulong Key(in MemberView member) => by switch
        {
            TopBy.Rss => member.ResidentBytes,
            TopBy.Io => member.IoBytesDelta,
            _ => member.CpuTicksDelta,
        };
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
