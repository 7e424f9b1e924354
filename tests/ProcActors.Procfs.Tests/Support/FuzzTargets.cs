using System.Text;

namespace ProcActors.Procfs.Tests.Support;

/// <summary>
/// Every /proc parser as a fuzz target: true when it accepted the input, false when it rejected it (which the reader
/// counts as a failed or partial read). What it accepted must also make sense: a comm inside the content, pids in
/// range, byte counts that did not wrap.
/// </summary>
internal static class FuzzTargets
{
    public static readonly Dictionary<string, (string Fixture, Func<byte[], bool> Parse)> All = new()
    {
        ["stat"] = ("stat_paren_comm", Stat),
        ["status"] = ("status_sleep", Status),
        ["io"] = ("io_sleep", b => IoParser.TryParse(b, out _)),
        ["limits"] = ("limits_sleep", b => LimitsParser.TryParseMaxOpenFiles(b, out _)),
        ["smaps_rollup"] = ("smaps_rollup_sleep", SmapsRollup),
        ["cmdline"] = ("cmdline_sleep", Cmdline),
        ["cgroup"] = ("cgroup_sleep", Cgroup),
        ["proc_stat"] = ("proc_stat", b => SystemStatParser.TryParseBootTime(b, out _)),
        ["uptime"] = ("uptime", b => UptimeParser.TryParseTicks(b, 100, out _)),
    };

    /// <summary>Pieces of every format, so that random input reaches past the first check of each parser.</summary>
    public static readonly string[] Tokens =
    [
        "0", "1", "42", "-1", "18446744073709551615", "18446744073709551616", "99999999999999999999999", "4294967296", "2147483648",
        "-9223372036854775808", " ", "  ", "\t", "\n", "\n\n", "\0", "(", ")", ") ", " (", ":", ".", "kB", " kB", "MB", "S", "R", "D", "Z",
        "Uid:", "VmSwap:", "voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:", "read_bytes:", "write_bytes:",
        "Max open files", "unlimited", "Pss:", "SwapPss:", "btime ", "0::", "/", "\u00e9", "\xff", "\xc3", "\ud83d\ude00",
    ];

    /// <summary>Fixed files that once mattered or stand for a class of damage; replayed by every test run.</summary>
    public static string CorpusFolder => Path.Combine(AppContext.BaseDirectory, "corpus");

    private static bool Stat(byte[] content)
    {
        if (!StatParser.TryParse(content, out var stat)) return false;
        _ = content.AsSpan()[stat.Comm];
        Assert.InRange(stat.Pid, 0, int.MaxValue);
        Assert.InRange(stat.ParentPid, 0, int.MaxValue);
        return true;
    }

    private static bool Status(byte[] content)
    {
        if (!StatusParser.TryParse(content, out var status)) return false;
        Assert.True(status.SwapBytes % 1024 == 0, "swap bytes are whole kB");
        return true;
    }

    private static bool SmapsRollup(byte[] content)
    {
        if (!SmapsRollupParser.TryParse(content, out var rollup)) return false;
        Assert.True(rollup.ProportionalBytes % 1024 == 0 && rollup.ProportionalSwapBytes % 1024 == 0, "bytes are whole kB");
        return true;
    }

    private static bool Cmdline(byte[] content)
    {
        var args = CmdlineParser.Parse(content);
        foreach (var arg in args) Assert.True(Encoding.UTF8.GetByteCount(arg) >= 0);
        return args.Length > 0;
    }

    private static bool Cgroup(byte[] content)
    {
        var paths = CgroupParser.Parse(content);
        Assert.True(paths.Length <= content.Count(b => b == (byte)'\n') + 1);
        return paths.Length > 0;
    }
}
