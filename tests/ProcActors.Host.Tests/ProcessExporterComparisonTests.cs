using System.Globalization;
using System.Text;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// Our built agent and the reference, Debian's prometheus-process-exporter 0.7.10, against the same procfs fixture
/// tree and the same YAML config: every namedprocess_namegroup_* series and the three namedprocess_scrape_* counters
/// must be served by both with the same value, except for the differences listed in <see cref="Differences"/>, each
/// of which is asserted on its own terms (and must actually show up, so that the list cannot rot).
/// </summary>
/// <remarks>
/// What 0.7.10 does, as observed on these fixtures:
/// - every counter of a process starts from zero at the first scan that sees it, whether it was running before the
///   exporter started or was born since (ours counts a process born after the previous scan from its start);
/// - thread_* series come only from processes with at least two threads (task/ of a single-threaded one adds nothing);
/// - oldest_start_time_seconds is Go's time.Unix(): whole seconds, truncated; a group with no process left reports
///   the zero time.Time, -62135596800;
/// - a process's context switches are the sum over task/*/status when it has two threads or more (status alone holds
///   the main thread's), so they drop, and wrap, when a thread exits;
/// - it skips a thread without a readable task/[tid]/cmdline (the fixture writes one, as the kernel has it);
/// - it scans on every scrape of /metrics, plus once at start-up.
/// </remarks>
public sealed class ProcessExporterComparisonTests : IDisposable
{
    private const string Config = """
        process_names:
          - name: "{{.Comm}}"
            comm: [web, db, kworker/0:1]
          - name: "batch:{{.Matches.job}}"
            cmdline: ['--job=(?P<job>\w+)']
          - name: "{{.ExeBase}}"
            exe: [/usr/bin/backup]
        """;

    /// <summary>Go's time.Time{}.Unix(): what process-exporter reports as the oldest start of a group with no process.</summary>
    private const double GoZeroTimeUnix = -62_135_596_800;

    private readonly Fixture _fx = new();
    private readonly string _configPath = Path.Combine(Path.GetTempPath(), $"procactors-pe-{Guid.NewGuid():N}.yml");

    public ProcessExporterComparisonTests() => File.WriteAllText(_configPath, Config);

    public void Dispose()
    {
        _fx.Dispose();
        File.Delete(_configPath);
    }

    private enum Kind
    {
        /// <summary>A documented design decision of ours.</summary>
        Deliberate,
        /// <summary>Found by this comparison; ours is the saner value and is kept.</summary>
        Improvement,
    }

    /// <summary>One known way our series differ from process-exporter's: which series it covers, and what exactly the difference must be.</summary>
    private sealed record Difference(
        string Id,
        Kind Kind,
        string Reason,
        Func<Fixture, Series, bool> Covers,
        Func<Fixture, Series, double?, double?, string?> Check);

    /// <summary>
    /// THE list of differences between our /metrics and process-exporter 0.7.10's. A series covered by none of them must
    /// be identical on both. The first entry that covers a series decides; Check gets (ours, theirs), either null when
    /// that exporter does not serve the series, and returns null when the difference is exactly as expected.
    /// </summary>
    private static readonly Difference[] Differences =
    [
        new("thread-series-outlive-their-threads", Kind.Deliberate,
            "Once the last thread of a name in a group is gone, process-exporter drops its thread_* series (and restarts them " +
            "from 0 if the name comes back); ours keeps them with thread_count 0 and the counters as they were, like a group " +
            "keeps its counters after its last process exits (GroupStats.Threads: 'what threads of that name did since " +
            "tracking began'). Note: thread names that churn make these series accumulate in ours.",
            (f, s) => s.Name.StartsWith("namedprocess_namegroup_thread_", StringComparison.Ordinal) && !f.LiveThreadNames(s.Group).Contains(s["threadname"]),
            (f, s, ours, theirs) =>
            {
                if (theirs is not null) return "process-exporter was expected to have dropped it";
                if (ours is null) return "ours was expected to keep it";
                if (s.Name == "namedprocess_namegroup_thread_count") return ours == 0 ? null : "expected thread_count 0";
                return f.PreviousOurs is { } previous && previous.Series.TryGetValue(s.Key, out var before) && !Close(ours.Value, before)
                    ? $"expected the counter kept at {before}"
                    : null;
            }),

        new("new-thread-counts-from-birth", Kind.Deliberate,
            "A thread that appears in a process already tracked was born since the last scan: ours counts all it did " +
            "(TrackedProc.UpdateThreads); process-exporter starts it at zero, losing what it did before its first scan.",
            (f, s) => Field(Snapshot.Zero, s) is not null && s.Name.StartsWith("namedprocess_namegroup_thread_", StringComparison.Ordinal) &&
                f.ThreadsBornIntoKnownProcs(s.Group).Any(t => t.Comm == s["threadname"]),
            (f, s, ours, theirs) => ExpectGap(ours, theirs,
                f.ThreadsBornIntoKnownProcs(s.Group).Where(t => t.Comm == s["threadname"]).Sum(t => Field(Snapshot.Of(t), s)!.Value))),

        new("new-process-counts-from-start", Kind.Deliberate,
            "A process that started after the previous scan did all its work since then: ours counts it from its start " +
            "(Tracker: 'one that started after the previous scan counts everything it did'); process-exporter 0.7.10 starts " +
            "every process it has not seen before at zero, so a process shorter than a scrape interval counts nothing there.",
            (f, s) => IsGroupCounter(s) && f.Procs.Values.Any(p => p.Group == s.Group && p.Born),
            (f, s, ours, theirs) => ExpectGap(ours, theirs,
                f.Procs.Values.Where(p => p.Group == s.Group && p.Born && p.FirstSeen is not null).Sum(p => Field(p.Totals(p.FirstSeen!.Values), s)!.Value))),

        new("states-main-thread-once", Kind.Deliberate,
            "process-exporter adds a multi-threaded process's own state (that of its main thread) to the states of all its " +
            "threads, so the main thread is counted twice; ours counts each thread once.",
            (f, s) => s.Name == "namedprocess_namegroup_states",
            (f, s, ours, theirs) => ExpectGap(theirs, ours, f.LiveMultiThreaded(s.Group).Count(p => StateLabel(p.Leader.State) == s["state"]))),

        new("wchan-main-thread-once", Kind.Improvement,
            "The same double count in threads_wchan: process-exporter counts /proc/<pid>/wchan (the main thread's) and then " +
            "every thread's, the main thread included; ours counts each thread once.",
            (f, s) => s.Name == "namedprocess_namegroup_threads_wchan",
            (f, s, ours, theirs) => ExpectGap(theirs, ours, f.LiveMultiThreaded(s.Group).Count(p => p.Leader.Wchan == s["wchan"]))),

        new("oldest-start-time-exact", Kind.Improvement,
            "process-exporter reports time.Unix(): the start truncated to whole seconds, and for a group with no process left " +
            "Go's zero time, -62135596800 (year 1). Ours keeps the start's clock-tick precision and reports 0 for an empty group.",
            (f, s) => s.Name == "namedprocess_namegroup_oldest_start_time_seconds",
            (f, s, ours, theirs) =>
            {
                if (ours is null || theirs is null) return "expected on both";
                var live = f.Procs.Values.Where(p => p.Alive && p.Group == s.Group).ToList();
                if (live.Count == 0) return ours == 0 && theirs == GoZeroTimeUnix ? null : $"empty group: expected ours 0 and process-exporter {GoZeroTimeUnix}";
                var oldest = FixtureTree.DefaultBootTime + live.Min(p => p.StartTicks) / 100.0;
                return Math.Abs(ours.Value - oldest) < 1e-3 && theirs == Math.Floor(oldest) ? null : $"expected ours {oldest:0.00} and process-exporter {Math.Floor(oldest)}";
            }),

        new("no-smaps-of-processes-without-memory", Kind.Deliberate,
            "A kernel thread or a zombie has no address space (vsize 0): reading its smaps_rollup fails (ESRCH; here it is a " +
            "directory). process-exporter counts a partial error for each such process on every scan; ours does not read it.",
            (f, s) => s.Name == "namedprocess_scrape_partial_errors",
            (f, s, ours, theirs) => ours == 0 && theirs == f.TheirPartialErrors ? null : $"expected ours 0 and process-exporter {f.TheirPartialErrors}"),
    ];

    [Fact]
    public async Task Both_exporters_serve_the_same_series_and_values_except_the_listed_differences()
    {
        // web: a three-thread server, a single-threaded worker with an unlimited fd limit, and its unmatched child and
        // grandchild (-children); db: one process in disk sleep near its fd limit, and a zombie; batch: two threads of the
        // same name; a kernel thread; an unmatched process with an unmatched child (tracked by neither).
        _fx.Write(100, "web", 5_012, [T(100, "web", 1_000, 'S', "ep_poll"), T(101, "web-io", 400, 'R'), T(102, "web-io", 300, 'D', "io_schedule")],
            rss: 500, swapKb: 16, pssKb: 800, swapPssKb: 12, fds: 7);
        _fx.Write(110, "web", 6_000, [T(110, "web", 50, 'R')], rss: 50, fds: 3, fdLimit: "unlimited");
        _fx.Write(120, "web", 7_050, [T(120, "helper", 20)], ppid: 100, rss: 30, fds: 1);
        _fx.Write(121, "web", 7_051, [T(121, "sh", 5)], ppid: 120, rss: 10);
        _fx.Write(200, "db", 4_099, [T(200, "db", 700, 'D', "io_schedule")], rss: 300, pssKb: 1_000, fds: 40, fdLimit: "64");
        _fx.Write(600, "db", 9_500, [T(600, "db", 3, 'Z')], rss: 0, vsize: 0, cmdline: [], unreadableSmaps: true);
        _fx.Write(300, "batch:nightly", 9_000, [T(300, "runner", 30), T(301, "runner", 60, 'S', "futex_wait_queue")],
            cmdline: ["/usr/bin/runner", "--job=nightly"], rss: 70);
        _fx.Write(400, "kworker/0:1", 3, [T(400, "kworker/0:1", 90, 'I', "worker_thread")], rss: 0, kernelThread: true, unreadableSmaps: true);
        _fx.Write(500, null, 8_000, [T(500, "other", 10)]);
        _fx.Write(501, null, 8_001, [T(501, "child", 10)], ppid: 500);

        string[] args = ["-procfs", _fx.Tree.Root, "-config.path", _configPath];
        await using var theirs = await _fx.StartTheirsAsync(args);
        await using var ours = await AgentProcess.StartAsync([.. args, "--scan-interval", "100ms"]);
        await TwoCyclesAsync(ours);
        var exercised = new HashSet<string>(StringComparer.Ordinal);

        // A: the start. Everything already running counts from zero on both sides.
        var (o, t) = await _fx.ScrapeBothAsync(ours, theirs);
        foreach (var (key, value) in t.Series.Where(x => x.Key.StartsWith("namedprocess_namegroup_", StringComparison.Ordinal) && x.Key.Contains("_total", StringComparison.Ordinal)))
            Assert.True(value == 0, $"process-exporter counted history at its first scan: {key} {value}");
        Assert.False(t.Has("namedprocess_namegroup_thread_count", "groupname", "db", "threadname", "db"), "thread series of a single-threaded process");
        Assert.Equal(2, t.Value("namedprocess_namegroup_thread_count", "groupname", "web", "threadname", "web-io"));
        Assert.False(t.Has("namedprocess_namegroup_num_procs", "groupname", "other"));
        Assert.Equal(4, t.Value("namedprocess_namegroup_num_procs", "groupname", "web"));
        Compare("A (start)", o, t, exercised);

        // B: counters advance; a thread is born in a tracked process; a process and its unmatched child are born.
        _fx.Write(100, "web", 5_012, [T(100, "web", 1_100, 'S', "ep_poll"), T(101, "web-io", 450, 'R'), T(102, "web-io", 330, 'S', "io_schedule"),
            T(103, "web-gc", 40, 'S', "futex_wait_queue")], rss: 520, swapKb: 16, pssKb: 800, swapPssKb: 12, fds: 8);
        _fx.Write(200, "db", 4_099, [T(200, "db", 760, 'S', "io_schedule")], rss: 300, pssKb: 1_000, fds: 40, fdLimit: "64");
        _fx.Write(300, "batch:nightly", 9_000, [T(300, "runner", 31), T(301, "runner", 66, 'S', "futex_wait_queue")],
            cmdline: ["/usr/bin/runner", "--job=nightly"], rss: 70);
        _fx.Write(130, "backup", 105_000, [T(130, "backup", 77)], cmdline: ["/usr/bin/backup", "--full"], rss: 40, fds: 2);
        _fx.Write(131, "backup", 105_001, [T(131, "tar", 9, 'R')], ppid: 130, rss: 20, fds: 1);
        _fx.Tree.SetUptime(1_100);
        (o, t) = await _fx.ScrapeBothAsync(ours, theirs);
        Assert.Equal(0.6, t.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "db", "mode", "user"), 9);
        Assert.Equal(60_000, t.Value("namedprocess_namegroup_read_bytes_total", "groupname", "db"));
        Assert.Equal(0, t.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "backup", "mode", "user"));
        Assert.Equal(0.86, o.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "backup", "mode", "user"), 9);
        Compare("B (advance, births)", o, t, exercised);

        // C: more work; a member exits (its group keeps its counts); two groups lose their last process.
        _fx.Write(100, "web", 5_012, [T(100, "web", 1_200, 'S', "ep_poll"), T(101, "web-io", 460, 'R'), T(102, "web-io", 330, 'S', "io_schedule"),
            T(103, "web-gc", 50, 'S', "futex_wait_queue")], rss: 520, swapKb: 16, pssKb: 800, swapPssKb: 12, fds: 8);
        _fx.Write(110, "web", 6_000, [T(110, "web", 65, 'S', "do_select")], rss: 50, fds: 3, fdLimit: "unlimited");
        _fx.Write(130, "backup", 105_000, [T(130, "backup", 90)], cmdline: ["/usr/bin/backup", "--full"], rss: 40, fds: 2);
        _fx.Delete(131);
        _fx.Delete(300);
        _fx.Delete(400);
        (o, t) = await _fx.ScrapeBothAsync(ours, theirs);
        Assert.Equal(0, t.Value("namedprocess_namegroup_num_procs", "groupname", "batch:nightly"));
        Compare("C (exits, empty groups)", o, t, exercised);

        var unseen = Differences.Select(d => d.Id).Where(id => !exercised.Contains(id)).ToList();
        Assert.True(unseen.Count == 0, $"listed differences that never showed (stale entry, or the fixture no longer exercises it): {string.Join(", ", unseen)}");
    }

    [Fact]
    public async Task A_counter_going_backwards_wraps_in_process_exporter_but_never_lowers_ours()
    {
        _fx.Write(200, "db", 4_099, [T(200, "db", 700)], rss: 300);
        _fx.Write(100, "web", 5_012, [T(100, "web", 1_000), T(101, "web-io", 400), T(102, "web-io", 300)], rss: 500);
        string[] args = ["-procfs", _fx.Tree.Root, "-config.path", _configPath];
        await using var theirs = await _fx.StartTheirsAsync(args);
        await using var ours = await AgentProcess.StartAsync([.. args, "--scan-interval", "100ms"]);
        await TwoCyclesAsync(ours);
        var (o0, _) = await _fx.ScrapeBothAsync(ours, theirs);

        // Forward: both count the same.
        _fx.Write(200, "db", 4_099, [T(200, "db", 760)], rss: 300);
        _fx.Write(100, "web", 5_012, [T(100, "web", 1_100), T(101, "web-io", 400), T(102, "web-io", 300)], rss: 500);
        var (o1, t1) = await _fx.ScrapeBothAsync(ours, theirs);
        foreach (var m in new[] { o1, t1 })
        {
            Assert.Equal(60_000, m.Value("namedprocess_namegroup_read_bytes_total", "groupname", "db"));
            Assert.Equal(0.6, m.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "db", "mode", "user"), 9);
        }

        // Backwards: db's counters drop below where tracking began (a reset); a web thread exits, which takes its
        // context switches out of the per-thread sum process-exporter makes (the kernel keeps its CPU, faults and I/O
        // in the process totals).
        _fx.Write(200, "db", 4_099, [T(200, "db", 600)], rss: 300);
        _fx.RemoveThread(100, 102);
        var (o2, t2) = await _fx.ScrapeBothAsync(ours, theirs);
        const double Wrapped = 1e19;
        Assert.True(t2.Value("namedprocess_namegroup_read_bytes_total", "groupname", "db") > Wrapped, "process-exporter's uint64 delta wraps");
        Assert.True(t2.Value("namedprocess_namegroup_minor_page_faults_total", "groupname", "db") > Wrapped);
        Assert.True(t2.Value("namedprocess_namegroup_context_switches_total", "groupname", "db", "ctxswitchtype", "voluntary") > Wrapped);
        Assert.True(t2.Value("namedprocess_namegroup_context_switches_total", "groupname", "web", "ctxswitchtype", "voluntary") > Wrapped,
            "process-exporter's thread-summed context switches wrap when a thread exits");
        Assert.Equal(-1.0, t2.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "db", "mode", "user"), 9); // float: it just goes negative
        Assert.Equal(60_000, o2.Value("namedprocess_namegroup_read_bytes_total", "groupname", "db"));
        Assert.Equal(0.6, o2.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "db", "mode", "user"), 9);
        Assert.True(o2.Value("procactors_backwards_counters_total") > 0);

        // Forward again: ours counts from the lowered reading; process-exporter stays wrapped.
        _fx.Write(200, "db", 4_099, [T(200, "db", 650)], rss: 300);
        var (o3, t3) = await _fx.ScrapeBothAsync(ours, theirs);
        Assert.Equal(110_000, o3.Value("namedprocess_namegroup_read_bytes_total", "groupname", "db"));
        Assert.Equal(1.1, o3.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "db", "mode", "user"), 9);
        Assert.Equal(18_446_744_073_709_501_616.0, t3.Value("namedprocess_namegroup_read_bytes_total", "groupname", "db")); // 2^64 - 50000
        Assert.Equal(-0.5, t3.Value("namedprocess_namegroup_cpu_seconds_total", "groupname", "db", "mode", "user"), 9);

        // Every counter of ours only ever rose.
        MetricsText[] views = [o0, o1, o2, o3];
        foreach (var key in o3.Series.Keys.Where(k => k.StartsWith("namedprocess_", StringComparison.Ordinal) && k.Contains("_total", StringComparison.Ordinal)))
        {
            for (var i = 1; i < views.Length; i++)
            {
                if (views[i - 1].Series.TryGetValue(key, out var before) && views[i].Series.TryGetValue(key, out var after))
                    Assert.True(after >= before, $"ours lowered {key}: {before} -> {after}");
            }
        }
    }

    /// <summary>Our agent has scanned twice since it started (procactors_cycle; procactors_cycles_total in older builds).</summary>
    private static Task<MetricsText> TwoCyclesAsync(AgentProcess ours) =>
        ours.UntilAsync(x => (x.TryValue("procactors_cycle", out var c) || x.TryValue("procactors_cycles_total", out c)) && c >= 2, "two cycles");

    // ---- comparison --------------------------------------------------------------------------------------------

    private static bool Compared(string key) =>
        key.StartsWith("namedprocess_namegroup_", StringComparison.Ordinal) ||
        key is "namedprocess_scrape_errors" or "namedprocess_scrape_procread_errors" or "namedprocess_scrape_partial_errors";

    private void Compare(string phase, MetricsText ours, MetricsText theirs, HashSet<string> exercised)
    {
        var failures = new List<string>();
        var keys = ours.Series.Keys.Where(Compared).Union(theirs.Series.Keys.Where(Compared)).Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var s = Series.Parse(key);
            double? o = ours.Series.TryGetValue(key, out var ov) ? ov : null;
            double? t = theirs.Series.TryGetValue(key, out var tv) ? tv : null;
            var difference = Differences.FirstOrDefault(d => d.Covers(_fx, s));
            if (difference is null)
            {
                if (o is null || t is null) failures.Add($"{key}: only {(o is null ? "process-exporter" : "ours")} serves it ({o ?? t})");
                else if (!Close(o.Value, t.Value)) failures.Add($"{key}: ours {Fmt(o)}, process-exporter {Fmt(t)}");
                continue;
            }
            if (difference.Check(_fx, s, o, t) is { } error) failures.Add($"{key} [{difference.Kind} {difference.Id}]: {error}; ours {Fmt(o)}, process-exporter {Fmt(t)}");
            else if (o is null || t is null || !Close(o.Value, t.Value)) exercised.Add(difference.Id);
        }
        _fx.PreviousOurs = ours;
        Assert.True(failures.Count == 0,
            $"phase {phase}: {failures.Count} series differ from {ProcessExporterBaseline.Version} beyond the listed differences:\n" +
            string.Join('\n', failures) + $"\n--- ours:\n{Only(ours)}\n--- process-exporter:\n{Only(theirs)}");
    }

    private static string Only(MetricsText m) =>
        string.Join('\n', m.Series.Where(x => Compared(x.Key)).OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key} {Fmt(x.Value)}"));

    /// <summary>Null when <paramref name="more"/> − <paramref name="less"/> is <paramref name="gap"/>, both present.</summary>
    private static string? ExpectGap(double? more, double? less, double gap)
    {
        if (more is null || less is null) return "expected on both";
        return Close(more.Value - less.Value, gap) ? null : $"expected a gap of {gap}, got {more.Value - less.Value}";
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(b)));

    private static string Fmt(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "(absent)";

    private static bool IsGroupCounter(Series s) =>
        !s.Name.StartsWith("namedprocess_namegroup_thread_", StringComparison.Ordinal) && Field(Snapshot.Zero, s) is not null;

    /// <summary>The value a counter series takes from one set of counts (ticks are 1/100 s, as process-exporter assumes).</summary>
    private static double? Field(Snapshot c, Series s)
    {
        var metric = s.Name.Replace("namedprocess_namegroup_thread_", "", StringComparison.Ordinal).Replace("namedprocess_namegroup_", "", StringComparison.Ordinal);
        return metric switch
        {
            "cpu_seconds_total" => (s["mode"] == "user" ? c.Utime : c.Stime) / 100.0,
            "read_bytes_total" => c.ReadBytes,
            "write_bytes_total" => c.WriteBytes,
            "io_bytes_total" => s["iomode"] == "read" ? c.ReadBytes : c.WriteBytes,
            "major_page_faults_total" => c.MajorFaults,
            "minor_page_faults_total" => c.MinorFaults,
            "context_switches_total" => s["ctxswitchtype"] == "voluntary" ? c.Voluntary : c.Nonvoluntary,
            _ => null,
        };
    }

    private static string StateLabel(char state) => state switch
    {
        'R' => "Running",
        'S' => "Sleeping",
        'D' => "Waiting",
        'Z' => "Zombie",
        _ => "Other",
    };

    private static FixtureThread T(int tid, string comm, ulong work, char state = 'S', string wchan = "0") =>
        new(tid, comm, state, Utime: work, Stime: work / 2, MinorFaults: work * 3, MajorFaults: work / 10, ReadBytes: work * 1000,
            WriteBytes: work * 100, Voluntary: work * 5, Nonvoluntary: work / 5, Wchan: wchan);

    // ---- model ---------------------------------------------------------------------------------------------------

    /// <summary>Counter values of a thread or a process.</summary>
    private readonly record struct Snapshot(double Utime, double Stime, double ReadBytes, double WriteBytes, double MajorFaults,
        double MinorFaults, double Voluntary, double Nonvoluntary)
    {
        public static readonly Snapshot Zero = default;

        public static Snapshot Of(FixtureThread t) =>
            new(t.Utime, t.Stime, t.ReadBytes, t.WriteBytes, t.MajorFaults, t.MinorFaults, t.Voluntary, t.Nonvoluntary);

        public static Snapshot operator +(Snapshot a, Snapshot b) =>
            new(a.Utime + b.Utime, a.Stime + b.Stime, a.ReadBytes + b.ReadBytes, a.WriteBytes + b.WriteBytes, a.MajorFaults + b.MajorFaults,
                a.MinorFaults + b.MinorFaults, a.Voluntary + b.Voluntary, a.Nonvoluntary + b.Nonvoluntary);
    }

    /// <summary>What the test wrote for one process, and what both exporters saw of it first.</summary>
    private sealed class ModelProc(int pid, string? group, ulong startTicks, bool born)
    {
        public int Pid { get; } = pid;
        public string? Group { get; } = group;
        public ulong StartTicks { get; } = startTicks;
        /// <summary>Written after both exporters had started.</summary>
        public bool Born { get; } = born;
        public bool Alive { get; set; } = true;
        public bool UnreadableSmaps { get; set; }
        /// <summary>The live threads (the last ones, once the process is gone); the main thread first.</summary>
        public FixtureThread[] Threads { get; set; } = [];
        /// <summary>What exited threads did: the kernel keeps it in the process's totals.</summary>
        public Snapshot Exited { get; set; }
        /// <summary>The threads at the first scan that saw the process.</summary>
        public Dictionary<int, FixtureThread>? FirstSeen { get; set; }
        /// <summary>Every thread as the first scan that saw it found it.</summary>
        public Dictionary<int, FixtureThread> ThreadFirstSeen { get; } = [];
        /// <summary>Writes the process again, as last written but with these threads.</summary>
        public Action<FixtureThread[]>? Rewrite { get; set; }
        public FixtureThread Leader => Threads[0];
        public bool MultiThreaded => Threads.Length > 1;

        /// <summary>The process's counters: its threads' plus its exited threads', except context switches, the main thread's own (as in /proc/[pid]/status).</summary>
        public Snapshot Totals(IEnumerable<FixtureThread> threads)
        {
            var sum = threads.Aggregate(Exited, (acc, t) => acc + Snapshot.Of(t));
            var leader = threads.First(t => t.Tid == Pid);
            return sum with { Voluntary = leader.Voluntary, Nonvoluntary = leader.Nonvoluntary };
        }
    }

    /// <summary>The fixture tree, the model of what is in it, and the bookkeeping of what the exporters saw.</summary>
    private sealed class Fixture : IDisposable
    {
        public FixtureTree Tree { get; } = new(uptime: "1000.00 2000.00\n");
        public Dictionary<int, ModelProc> Procs { get; } = [];
        public bool Started { get; private set; }
        /// <summary>process-exporter's partial errors so far: one per process with unreadable smaps_rollup per scan.</summary>
        public int TheirPartialErrors { get; private set; }
        public MetricsText? PreviousOurs { get; set; }

        public void Dispose() => Tree.Dispose();

        public IEnumerable<ModelProc> LiveMultiThreaded(string group) => Procs.Values.Where(p => p.Alive && p.MultiThreaded && p.Group == group);

        public HashSet<string> LiveThreadNames(string group) => LiveMultiThreaded(group).SelectMany(p => p.Threads).Select(t => t.Comm).ToHashSet();

        public IEnumerable<FixtureThread> ThreadsBornIntoKnownProcs(string group) =>
            Procs.Values.Where(p => p.Group == group && p.FirstSeen is not null)
                .SelectMany(p => p.ThreadFirstSeen.Where(x => !p.FirstSeen!.ContainsKey(x.Key)).Select(x => x.Value));

        public async Task<ProcessExporterBaseline> StartTheirsAsync(string[] args)
        {
            var exporter = await ProcessExporterBaseline.StartAsync(args);
            Started = true;
            TheirPartialErrors += UnreadableSmaps; // its start-up scan
            return exporter;
        }

        private int UnreadableSmaps => Procs.Values.Count(p => p.Alive && p.UnreadableSmaps);

        /// <summary>A view of each exporter that has seen the tree as it is now, then records what they saw first.</summary>
        public async Task<(MetricsText Ours, MetricsText Theirs)> ScrapeBothAsync(AgentProcess ours, ProcessExporterBaseline theirs)
        {
            TheirPartialErrors += UnreadableSmaps;
            var t = await theirs.ScrapeAsync();
            var o = await ours.NextFullCycleAsync();
            foreach (var p in Procs.Values.Where(p => p.Alive))
            {
                p.FirstSeen ??= p.Threads.ToDictionary(x => x.Tid);
                foreach (var thread in p.Threads) p.ThreadFirstSeen.TryAdd(thread.Tid, thread);
            }
            return (o, t);
        }

        /// <summary>
        /// Writes a process as the kernel shows it: stat, io and faults are the sums over its threads (exited ones
        /// included), status's context switches and the process's state and wchan are its main thread's. A new thread
        /// appears whole (built aside, renamed in): our agent scans while the test writes.
        /// </summary>
        public void Write(int pid, string? group, ulong start, FixtureThread[] threads, int ppid = 1, long rss = 100, ulong swapKb = 0,
            ulong pssKb = 0, ulong swapPssKb = 0, int fds = 0, string fdLimit = "1024", string[]? cmdline = null, bool kernelThread = false,
            ulong vsize = 8_392_704, bool unreadableSmaps = false)
        {
            if (!Procs.TryGetValue(pid, out var p)) Procs[pid] = p = new ModelProc(pid, group, start, Started);
            p.Rewrite = rest => Write(pid, group, start, rest, ppid, rss, swapKb, pssKb, swapPssKb, fds, fdLimit, cmdline, kernelThread, vsize, unreadableSmaps);
            if (kernelThread) vsize = 0;
            p.Threads = threads;
            var args = Encoding.UTF8.GetBytes(kernelThread ? "" : string.Concat((cmdline ?? [$"/usr/bin/{threads[0].Comm}"]).Select(a => a + "\0")));
            var exists = Directory.Exists(Tree.PathOf(pid));
            foreach (var thread in threads.Where(x => exists && !Directory.Exists(Tree.PathOf(pid, $"task/{x.Tid}"))))
                AddThreadWhole(pid, thread, threads.Length, ppid, start, vsize, rss, swapKb, args);

            var leader = threads[0];
            var totals = p.Totals(threads);
            Tree.AddProcess(pid, leader.Comm, starttime: start, ppid: ppid, state: leader.State, wchan: leader.Wchan,
                utime: (ulong)totals.Utime, stime: (ulong)totals.Stime, minflt: (ulong)totals.MinorFaults, majflt: (ulong)totals.MajorFaults,
                readBytes: (ulong)totals.ReadBytes, writeBytes: (ulong)totals.WriteBytes, voluntary: leader.Voluntary, nonvoluntary: leader.Nonvoluntary,
                rss: rss, swapKb: kernelThread ? null : swapKb, pssKb: pssKb, swapPssKb: swapPssKb, fds: fds, fdLimit: fdLimit, cmdline: cmdline,
                kernelThread: kernelThread, vsize: vsize, threads: threads);
            // process-exporter reads each thread's cmdline (it skips a thread without one); the kernel has it.
            foreach (var thread in threads) Tree.WriteFile(pid, $"task/{thread.Tid}/cmdline", args);
            if (unreadableSmaps && !p.UnreadableSmaps)
            {
                // Reading it fails, as the kernel's smaps_rollup of a process without memory does (ESRCH).
                Tree.DeleteFile(pid, "smaps_rollup");
                Directory.CreateDirectory(Tree.PathOf(pid, "smaps_rollup"));
                p.UnreadableSmaps = true;
            }
        }

        /// <summary>A thread exits: its folder goes at once; the process keeps its CPU, faults and I/O in its totals.</summary>
        public void RemoveThread(int pid, int tid)
        {
            var p = Procs[pid];
            p.Exited += Snapshot.Of(p.Threads.Single(x => x.Tid == tid)) with { Voluntary = 0, Nonvoluntary = 0 };
            RemoveWhole(Tree.PathOf(pid, $"task/{tid}"));
            p.Rewrite!(p.Threads.Where(x => x.Tid != tid).ToArray());
        }

        /// <summary>A process exits: its folder goes at once (a scan never sees half of it).</summary>
        public void Delete(int pid)
        {
            RemoveWhole(Tree.PathOf(pid));
            Procs[pid].Alive = false;
        }

        private void RemoveWhole(string path)
        {
            var aside = Path.Combine(Directory.CreateDirectory(Path.Combine(Tree.Root, ".staging")).FullName, $"gone-{Guid.NewGuid():N}");
            Directory.Move(path.TrimEnd('/'), aside);
            Directory.Delete(aside, recursive: true);
        }

        private void AddThreadWhole(int pid, FixtureThread t, int numThreads, int ppid, ulong start, ulong vsize, long rss, ulong swapKb, byte[] args)
        {
            var staging = Directory.CreateDirectory(Path.Combine(Tree.Root, ".staging", $"thread-{pid}-{t.Tid}")).FullName;
            File.WriteAllText(Path.Combine(staging, "stat"),
                ProcText.Stat(t.Tid, t.Comm, t.State, ppid, t.MinorFaults, t.MajorFaults, t.Utime, t.Stime, numThreads, start, vsize, rss));
            File.WriteAllText(Path.Combine(staging, "status"),
                ProcText.Status(t.Comm, t.State, t.Tid, ppid, 0, 0, swapKb, t.Voluntary, t.Nonvoluntary, numThreads));
            File.WriteAllText(Path.Combine(staging, "io"), ProcText.Io(t.ReadBytes, t.WriteBytes));
            File.WriteAllText(Path.Combine(staging, "wchan"), t.Wchan);
            File.WriteAllBytes(Path.Combine(staging, "cmdline"), args);
            Directory.Move(staging, Tree.PathOf(pid, $"task/{t.Tid}"));
        }
    }

    /// <summary>A series key as <see cref="MetricsText"/> normalizes it: name{label="value",...}, labels sorted.</summary>
    private sealed record Series(string Key, string Name, IReadOnlyDictionary<string, string> Labels)
    {
        public string this[string label] => Labels.TryGetValue(label, out var value) ? value : "";

        public string Group => this["groupname"];

        public static Series Parse(string key)
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var brace = key.IndexOf('{', StringComparison.Ordinal);
            if (brace < 0) return new Series(key, key, labels);
            var i = brace + 1;
            while (i < key.Length && key[i] != '}')
            {
                var equals = key.IndexOf('=', i);
                var name = key[i..equals];
                var value = new StringBuilder();
                for (i = equals + 2; key[i] != '"'; i++)
                {
                    if (key[i] == '\\') i++;
                    value.Append(key[i]);
                }
                labels[name] = value.ToString();
                i++;
                if (i < key.Length && key[i] == ',') i++;
            }
            return new Series(key, key[..brace], labels);
        }
    }
}
