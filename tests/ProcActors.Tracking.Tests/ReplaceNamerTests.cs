using ProcActors.Procfs;
using ProcActors.Testing;

namespace ProcActors.Tracking.Tests;

/// <summary>A reloaded configuration: processes are named again; what stays in its group continues, what moves starts anew.</summary>
public sealed class ReplaceNamerTests
{
    private readonly FakeProcSource _source = new();

    private static GroupStats Group(LocalTracker tracker, string name) => tracker.Groups.Single(g => g.Name == name);

    [Fact]
    public void Unchanged_groups_continue_moved_processes_count_in_their_new_group_and_nothing_goes_back()
    {
        var tracker = new LocalTracker(new CommNamer("web", "db"));
        _source.Add(10, "web").Advance(1000);
        _source.Add(20, "db").Advance(1000);
        _source.Add(30, "cache").Advance(1000);
        tracker.Update(_source);
        _source[10].Advance(5);
        _source[20].Advance(5);
        tracker.Update(_source);
        Assert.Equal(5UL, Group(tracker, "web").Counts.CpuUserTicks);
        Assert.Equal(5UL, Group(tracker, "db").Counts.CpuUserTicks);
        var staticReads = _source.StaticReads;

        // The new rules keep web, drop db, and add cache.
        tracker.Scanner.ReplaceNamer(new CommNamer("web", "cache"));
        _source[10].Advance(3);
        _source[20].Advance(3);
        _source[30].Advance(3);
        tracker.Update(_source);

        Assert.Equal(3, _source.StaticReads - staticReads);
        Assert.Equal(8UL, Group(tracker, "web").Counts.CpuUserTicks);
        Assert.Equal(1, Group(tracker, "web").Procs);
        // A process leaving its group takes nothing and loses nothing: the interval up to the reload counts where it was.
        Assert.Equal(8UL, Group(tracker, "db").Counts.CpuUserTicks);
        Assert.Equal(0, Group(tracker, "db").Procs);
        Assert.Equal(1, Group(tracker, "cache").Procs);
        Assert.Equal(0UL, Group(tracker, "cache").Counts.CpuUserTicks);

        // Only the scan after the reload names everything again.
        _source[30].Advance(2);
        tracker.Update(_source);
        Assert.Equal(3, _source.StaticReads - staticReads);
        Assert.Equal(2UL, Group(tracker, "cache").Counts.CpuUserTicks);
    }

    [Fact]
    public void Redacted_command_lines_are_named_by_their_arguments_but_keep_only_the_program()
    {
        var tracker = new LocalTracker(new ArgumentNamer(), new ScannerOptions { RedactCmdline = true });
        _source.Add(10, "python", cmdline: ["/usr/bin/python", "serve", "--password=hunter2"]);
        tracker.Update(_source);

        Assert.Equal(1, Group(tracker, "serve").Procs);
        Assert.Equal(["/usr/bin/python"], tracker.Tracker.Procs.Single().Static!.Cmdline);
    }

    private sealed class ArgumentNamer : Grouping.IProcNamer
    {
        public string? Name(ProcStatic proc) => proc.Cmdline.Count > 1 ? proc.Cmdline[1] : null;
    }
}
