using ProcActors.Actors.Pipeline;

namespace ProcActors.Actors.View;

/// <summary>The router's word that a cycle is closed and how many group reports it will bring.</summary>
public sealed record CycleClosed(CycleEnd End, int Groups);

/// <summary>
/// Collects the group reports of each cycle and, once a cycle has all of them, folds it into the next node view
/// with rates over the interval since the previous cycle. Reports and the close may arrive in any order; a cycle
/// overtaken by a newer complete one is dropped.
/// </summary>
public sealed class CycleAssembler(NodeView initial)
{
    private readonly SortedDictionary<long, Pending> _pending = [];
    private DateTimeOffset? _previousScanStart;

    public NodeView Current { get; private set; } = initial;

    /// <summary>The scanner's account of the cycle that made <see cref="Current"/>.</summary>
    public CycleEnd? CurrentEnd { get; private set; }

    /// <summary>
    /// The agent's own counters of a snapshot loaded after counting had begun: added to those counted since, so
    /// they continue as if it had been loaded on time. (Group counters are merged by the group actors.)
    /// </summary>
    public NodeView MergeRestored(AgentCounters saved)
    {
        var c = Current.Counters;
        Current = Current with
        {
            Counters = c with
            {
                Cycles = c.Cycles + saved.Cycles,
                ScrapeErrors = c.ScrapeErrors + saved.ScrapeErrors,
                ReadErrors = c.ReadErrors + saved.ReadErrors,
                PermissionErrors = c.PermissionErrors + saved.PermissionErrors,
                PartialErrors = c.PartialErrors + saved.PartialErrors,
                SkippedIntervals = c.SkippedIntervals + saved.SkippedIntervals,
                BackwardsCounters = c.BackwardsCounters + saved.BackwardsCounters,
            },
        };
        return Current;
    }

    public NodeView? Add(GroupReport report)
    {
        if (report.Cycle <= Current.Cycle) return null;
        Get(report.Cycle).Reports.Add(report);
        return TryComplete(report.Cycle);
    }

    public NodeView? Close(CycleClosed closed)
    {
        if (closed.End.Cycle <= Current.Cycle) return null;
        Get(closed.End.Cycle).Closed = closed;
        return TryComplete(closed.End.Cycle);
    }

    private Pending Get(long cycle)
    {
        if (!_pending.TryGetValue(cycle, out var pending))
        {
            pending = new Pending();
            _pending.Add(cycle, pending);
        }
        return pending;
    }

    private NodeView? TryComplete(long cycle)
    {
        var pending = _pending[cycle];
        if (pending.Closed is not { } closed || pending.Reports.Count < closed.Groups) return null;
        foreach (var older in _pending.Keys.Where(c => c <= cycle).ToList()) _pending.Remove(older);

        CurrentEnd = closed.End;
        var result = closed.End.Result;
        var counters = Current.Counters with
        {
            Cycles = Current.Counters.Cycles + 1,
            ScrapeErrors = Current.Counters.ScrapeErrors + (result.Error is null ? 0 : 1),
            ReadErrors = Current.Counters.ReadErrors + result.ReadErrors,
            PermissionErrors = Current.Counters.PermissionErrors + result.PermissionErrors,
            PartialErrors = Current.Counters.PartialErrors + result.PartialErrors,
            SkippedIntervals = Current.Counters.SkippedIntervals + closed.End.SkippedIntervals,
            LastScanDuration = closed.End.ScanDuration,
            ProcessesListed = result.Listed,
        };

        // A scan that could not list processes closes with no reports: the groups stand as they were.
        if (result.Error is not null)
        {
            Current = Current with { Cycle = cycle, Counters = counters };
            return Current;
        }

        var interval = _previousScanStart is { } previous ? (closed.End.ScanStartedAt - previous).TotalSeconds : 0;
        _previousScanStart = closed.End.ScanStartedAt;
        var groups = new Dictionary<string, GroupView>(pending.Reports.Count, StringComparer.Ordinal);
        var backwards = Current.Counters.BackwardsCounters;
        var tracked = 0;
        foreach (var report in pending.Reports)
        {
            backwards += report.BackwardsCounters;
            if (report.Stats is null) continue;
            tracked += report.Stats.Procs;
            groups[report.Group] = Rates.Of(report, Current.Groups.GetValueOrDefault(report.Group), interval, Current.TicksPerSecond);
        }

        Current = Current with
        {
            Cycle = cycle,
            UpdatedAt = closed.End.ScanStartedAt + closed.End.ScanDuration,
            BootTimeSeconds = result.BootTimeSeconds,
            LastScanUptimeTicks = result.UptimeTicks,
            IntervalSeconds = interval,
            Groups = groups,
            Counters = counters with { BackwardsCounters = backwards, ProcessesTracked = tracked },
        };
        return Current;
    }

    private sealed class Pending
    {
        public List<GroupReport> Reports { get; } = [];
        public CycleClosed? Closed { get; set; }
    }
}

/// <summary>Per-second rates of a group over one cycle.</summary>
internal static class Rates
{
    public static GroupView Of(GroupReport report, GroupView? previous, double intervalSeconds, int ticksPerSecond)
    {
        var stats = report.Stats!;
        if (previous is null || intervalSeconds <= 0) return new GroupView(stats, 0, 0, 0, report.Members);
        var before = previous.Stats.Counts;
        var now = stats.Counts;
        var cpuTicks = Delta(now.CpuUserTicks + now.CpuSystemTicks, before.CpuUserTicks + before.CpuSystemTicks);
        return new GroupView(
            stats,
            CpuPercent(cpuTicks, intervalSeconds, ticksPerSecond),
            Delta(now.ReadBytes, before.ReadBytes) / intervalSeconds,
            Delta(now.WriteBytes, before.WriteBytes) / intervalSeconds,
            report.Members);
    }

    public static double CpuPercent(ulong ticks, double intervalSeconds, int ticksPerSecond) =>
        intervalSeconds <= 0 ? 0 : ticks * 100.0 / ticksPerSecond / intervalSeconds;

    private static ulong Delta(ulong now, ulong before) => now >= before ? now - before : 0;
}
