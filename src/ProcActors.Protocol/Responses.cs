namespace ProcActors.Protocol;

/// <summary>Counts of threads (or single-threaded processes) by scheduler state.</summary>
public sealed record StateCounts(int Running, int Sleeping, int Waiting, int Zombie, int Other);

/// <summary>
/// A group as /metrics shows it, plus the rates of the last cycle. <see cref="ExitedUnseen"/> counts processes that
/// lived and died between two scans, known only by their exit record, and <see cref="ExitedUnseenCpuSeconds"/> their
/// CPU (with the children fallback: the CPU of reaped children no scan counted), since the agent started; both are
/// already in the group's counters. Zero without exit accounting, and from senders that predate them.
/// </summary>
public sealed record GroupSummary(
    string Name,
    int Procs,
    double CpuUserSeconds,
    double CpuSystemSeconds,
    ulong ReadBytes,
    ulong WriteBytes,
    ulong MajorPageFaults,
    ulong MinorPageFaults,
    ulong VoluntaryContextSwitches,
    ulong NonvoluntaryContextSwitches,
    ulong ResidentBytes,
    ulong VirtualBytes,
    ulong SwappedBytes,
    ulong ProportionalResidentBytes,
    ulong ProportionalSwappedBytes,
    ulong OpenFileDescriptors,
    double WorstFdRatio,
    DateTimeOffset? OldestStartTime,
    ulong NumThreads,
    StateCounts States,
    double CpuPercent,
    double ReadBytesPerSecond,
    double WriteBytesPerSecond,
    long ExitedUnseen = 0,
    double ExitedUnseenCpuSeconds = 0);

/// <summary>A process in a group, with its rates over the last cycle.</summary>
public sealed record ProcessSummary(
    int Pid,
    string Group,
    string Name,
    IReadOnlyList<string> Cmdline,
    DateTimeOffset? StartTime,
    double CpuPercent,
    ulong ResidentBytes,
    double IoBytesPerSecond);

/// <summary>Page <see cref="Page"/> of <see cref="Pages"/> of the answer of cycle <see cref="Cycle"/> (see <see cref="GetGroups"/>).</summary>
public sealed record GroupsResponse(string Node, long Cycle, DateTimeOffset? UpdatedAt, IReadOnlyList<GroupSummary> Groups, int Page = 0, int Pages = 1);

/// <summary>Group is null when the node has no group of that name. Every page carries the group; members are paged.</summary>
public sealed record GroupResponse(string Node, long Cycle, GroupSummary? Group, IReadOnlyList<ProcessSummary> Members, int Page = 0, int Pages = 1);

public sealed record TopResponse(string Node, long Cycle, TopBy By, IReadOnlyList<ProcessSummary> Processes, int Page = 0, int Pages = 1);

public sealed record AgentStatusResponse(
    string Node,
    string Version,
    DateTimeOffset StartedAt,
    long Cycles,
    TimeSpan LastScanDuration,
    TimeSpan LastUpdateLatency,
    int ProcessesListed,
    int ProcessesTracked,
    int Groups,
    long ScrapeErrors,
    long ReadErrors,
    long PermissionErrors,
    long PartialErrors,
    long SkippedIntervals,
    long BackwardsCounters);
