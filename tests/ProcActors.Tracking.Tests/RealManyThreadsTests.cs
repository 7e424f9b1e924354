using System.Diagnostics;
using System.Globalization;
using ProcActors.Procfs;
using ProcActors.Testing;

namespace ProcActors.Tracking.Tests;

/// <summary>
/// The real kernel path for a process of many threads: a small C program (native/manythreads.c, built with gcc)
/// starts them with 16 KB stacks, and the agent's reader and tracker scan the real /proc with it. 1,000 threads in a
/// normal test run; scripts/scale.sh asks for more (PROCACTORS_REAL_THREADS). Every thread is a pid: the machine's
/// kernel.pid_max bounds how many can exist, for every user of the machine at once.
/// </summary>
public sealed class RealManyThreadsTests
{
    private static readonly int? Asked =
        int.TryParse(Environment.GetEnvironmentVariable("PROCACTORS_REAL_THREADS"), out var n) && n > 1 ? n : null;

    private static readonly int Wanted = Asked ?? 1_000;

    /// <summary>Each scan reads every thread of the machine (other programs' too): a normal run keeps to two.</summary>
    private static readonly int Scans = Asked is null ? 2 : 3;

    private static string Build()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "native", "manythreads.c");
        var binary = Path.Combine(Directory.CreateTempSubdirectory("procactors-manythreads-").FullName, "manythreads");
        ProcessStartInfo gcc;
        try
        {
            gcc = new ProcessStartInfo("gcc", ["-O2", "-pthread", "-o", binary, source]) { RedirectStandardError = true };
            using var build = Process.Start(gcc)!;
            var errors = build.StandardError.ReadToEnd();
            build.WaitForExit();
            Assert.True(build.ExitCode == 0, $"gcc failed: {errors}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Skip("gcc is not installed: the real many-threads check needs it to build native/manythreads.c");
        }
        return binary;
    }

    [Fact]
    public void A_real_process_of_thousands_of_threads_is_counted_thread_by_thread()
    {
        var binary = Build();
        using var child = Process.Start(new ProcessStartInfo(binary, [Wanted.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            var started = int.Parse(child.StandardOutput.ReadLine() ?? "0", CultureInfo.InvariantCulture);
            if (started < Wanted)
                Assert.Skip($"only {started} of {Wanted} threads could be started here (kernel.pid_max {File.ReadAllText("/proc/sys/kernel/pid_max").Trim()}, shared by every process of the machine)");

            var tracker = new LocalTracker(new CommNamer("manythreads"));
            var reader = new ProcfsReader("/proc", new ProcfsOptions
            {
                SmapsEveryScans = 12,
                LimitsEveryScans = 12,
                ReuseUnchangedWchan = true,
                ReadTimeouts = new ReadTimeouts(TimeSpan.FromSeconds(2), 4),
            });
            var times = new List<TimeSpan>();
            for (var scan = 0; scan < Scans; scan++)
            {
                var clock = Stopwatch.StartNew();
                var result = tracker.Update(reader);
                times.Add(clock.Elapsed);
                Assert.Null(result.Error);
                var group = tracker.Groups.Single(g => g.Name == "manythreads");
                Assert.Equal(1, group.Procs);
                Assert.Equal((ulong)started + 1, group.NumThreads);
                Assert.Equal(started + 1, group.Threads["manythreads"].Count);
                Assert.Equal(started + 1, group.States.Total);
                // Idle threads blocked in read(2) sleep: nothing runs, nothing goes back, nothing wraps.
                Assert.True(group.States.Sleeping >= started, $"{group.States.Sleeping} sleeping");
                Assert.True(group.Counts.CpuUserTicks + group.Counts.CpuSystemTicks < 100UL * (ulong)ClockTicks.PerSecond, "CPU counter out of bounds");
            }
            Assert.Equal(0L, tracker.Tracker.BackwardsCounters);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{started + 1} threads in one real process: scans of /proc took {string.Join(", ", times.Select(t => $"{t.TotalMilliseconds:0} ms"))}");
        }
        finally
        {
            // Closing its standard input ends it (and every thread with it); it is our child, reaped here.
            child.StandardInput.Close();
            if (!child.WaitForExit(TimeSpan.FromSeconds(20))) child.Kill();
            child.WaitForExit();
            File.Delete(binary);
            Directory.Delete(Path.GetDirectoryName(binary)!);
        }
    }
}
