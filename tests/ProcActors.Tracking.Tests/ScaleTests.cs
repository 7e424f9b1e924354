using System.Diagnostics;
using ProcActors.Procfs;
using ProcActors.Testing;

namespace ProcActors.Tracking.Tests;

/// <summary>
/// Many processes, and one process of many threads, as fixture trees of symbolic links to a few templates (see
/// <see cref="FixtureTree.AddClones"/>), read with the agent's reader settings (adaptive reads, bounded reads):
/// every process and thread is counted, each counter moves by exactly the work done, and a counter going backwards
/// in all of them at once is clamped, never wrapped. A normal test run uses 4,000 processes and 8,000 threads
/// (a few seconds); scripts/scale.sh runs the same tests with 50,000 and 100,000 (PROCACTORS_SCALE_PROCESSES,
/// PROCACTORS_SCALE_THREADS) and prints the scan times.
/// </summary>
public sealed class ScaleTests : IDisposable
{
    private static readonly int Processes = Size("PROCACTORS_SCALE_PROCESSES", 4_000);
    private static readonly int Threads = Size("PROCACTORS_SCALE_THREADS", 8_000);
    private static readonly string[] Comms = ["svc-a", "svc-b", "svc-c", "svc-d"];
    private readonly FixtureTree _tree = new(inMemory: true);
    private readonly Stopwatch _written = Stopwatch.StartNew();

    public void Dispose() => _tree.Dispose();

    private static int Size(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var size) && size >= 8 ? size : fallback;

    private ProcfsReader Reader() => new(_tree.Root, new ProcfsOptions
    {
        SmapsEveryScans = 12,
        LimitsEveryScans = 12,
        ReuseUnchangedWchan = true,
        ReadTimeouts = new ReadTimeouts(TimeSpan.FromSeconds(2), 4),
    });

    private static ScanResult Scan(LocalTracker tracker, ProcfsReader reader, List<TimeSpan> times)
    {
        var clock = Stopwatch.StartNew();
        var result = tracker.Update(reader);
        times.Add(clock.Elapsed);
        Assert.Null(result.Error);
        Assert.Equal(0, result.ReadTimeouts);
        return result;
    }

    /// <summary>Scan times, and what the tracker and reader hold: the managed heap after a full collection, and the process's peak RSS.</summary>
    private static string Report(List<TimeSpan> times, LocalTracker tracker, ProcfsReader reader)
    {
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(tracker);
        GC.KeepAlive(reader);
        var peak = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))?.Split(':')[1].Trim();
        return $"scans took {string.Join(", ", times.Select(t => $"{t.TotalMilliseconds:0} ms"))}; managed heap after them {heap / 1048576.0:0.0} MiB, test host peak RSS {peak}";
    }

    [Fact]
    public void Tens_of_thousands_of_processes_are_all_counted_exactly_and_a_counter_going_back_in_all_of_them_is_clamped()
    {
        var templates = new string[Comms.Length];
        var perComm = Processes / Comms.Length;
        var processes = perComm * Comms.Length;
        for (var i = 0; i < Comms.Length; i++)
        {
            _tree.AddProcess(10 + i, Comms[i], starttime: 1_000, utime: 100, readBytes: 4_096, fds: 3);
            templates[i] = _tree.AddClones(10 + i, 100_000 + i * perComm, perComm);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"tree written in {_written.Elapsed.TotalMilliseconds:0} ms");
        var tracker = new LocalTracker(new CommNamer(Comms));
        var reader = Reader();
        var times = new List<TimeSpan>();

        var first = Scan(tracker, reader, times);
        Assert.Equal(processes, first.Listed);
        Assert.Equal(processes, tracker.Tracker.Count);

        // One tick of CPU and 10 bytes read by every process at once.
        for (var i = 0; i < Comms.Length; i++)
        {
            FixtureTree.WriteTemplateFile(templates[i], "stat", ProcText.Stat(10 + i, Comms[i], utime: 101, starttime: 1_000, vsize: 8_392_704));
            FixtureTree.WriteTemplateFile(templates[i], "io", ProcText.Io(4_106, 0));
        }
        Scan(tracker, reader, times);
        foreach (var group in tracker.Groups)
        {
            Assert.Equal(perComm, group.Procs);
            Assert.Equal((ulong)perComm, group.Counts.CpuUserTicks);
            Assert.Equal((ulong)perComm * 10, group.Counts.ReadBytes);
            Assert.Equal((ulong)perComm * 3, group.OpenFds);
        }

        // Every process's CPU goes back by one tick: clamped and counted, the totals stand.
        for (var i = 0; i < Comms.Length; i++)
            FixtureTree.WriteTemplateFile(templates[i], "stat", ProcText.Stat(10 + i, Comms[i], utime: 100, starttime: 1_000, vsize: 8_392_704));
        Scan(tracker, reader, times);
        Assert.Equal((long)processes, tracker.Tracker.BackwardsCounters);
        Assert.All(tracker.Groups, g => Assert.Equal((ulong)perComm, g.Counts.CpuUserTicks));
        TestContext.Current.TestOutputHelper?.WriteLine($"{processes} processes: {Report(times, tracker, reader)}");
    }

    [Fact]
    public void A_process_of_tens_of_thousands_of_threads_counts_every_thread_exactly()
    {
        _tree.AddProcess(500, "java", starttime: 1_000, utime: 50, numThreads: Threads,
            threads: [new FixtureThread(500, "java", Utime: 50), new FixtureThread(501, "worker", Utime: 10, Voluntary: 7)]);
        var template = _tree.AddThreadClones(500, templateTid: 501, firstTid: 1_000, count: Threads - 1);
        _tree.AddProcess(600, "java", starttime: 1_000, utime: 5);
        TestContext.Current.TestOutputHelper?.WriteLine($"tree written in {_written.Elapsed.TotalMilliseconds:0} ms");
        var tracker = new LocalTracker(new CommNamer("java"));
        var reader = Reader();
        var times = new List<TimeSpan>();

        Scan(tracker, reader, times);
        var java = tracker.Groups.Single();
        Assert.Equal(2, java.Procs);
        Assert.Equal((ulong)Threads + 1, java.NumThreads);
        Assert.Equal(Threads - 1, java.Threads["worker"].Count);
        // The single-threaded process is its own only thread: its task/ is not read (as in process-exporter).
        Assert.Equal(1, java.Threads["java"].Count);
        Assert.Equal(Threads + 1, java.States.Total);

        // Every worker thread runs one tick and switches twice.
        FixtureTree.WriteTemplateFile(template, "stat", ProcText.Stat(501, "worker", utime: 11, numThreads: Threads, starttime: 1_000, vsize: 8_392_704));
        FixtureTree.WriteTemplateFile(template, "status", ProcText.Status("worker", pid: 501, voluntary: 9, threads: Threads));
        Scan(tracker, reader, times);
        java = tracker.Groups.Single();
        Assert.Equal((ulong)(Threads - 1), java.Threads["worker"].Counts.CpuUserTicks);
        Assert.Equal((ulong)(Threads - 1) * 2, java.Threads["worker"].Counts.VoluntaryCtxSwitches);
        // The process's switches are the sum over its threads: 2 per worker thread.
        Assert.Equal((ulong)(Threads - 1) * 2, java.Counts.VoluntaryCtxSwitches);
        Assert.Equal(0L, tracker.Tracker.BackwardsCounters);
        TestContext.Current.TestOutputHelper?.WriteLine($"{Threads} threads: {Report(times, tracker, reader)}");
    }
}
