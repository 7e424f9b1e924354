using System.Text;

namespace ProcActors.Procfs.Tests.Support;

/// <summary>The /proc files captured from a real machine and checked in under fixtures/ (copied to the output folder).</summary>
internal static class Fixtures
{
    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", name));

    public static string Text(string name) => Encoding.UTF8.GetString(Bytes(name));

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Every fixture a parser is meant to read, by parser.</summary>
    public static readonly string[] All =
    [
        "stat_sleep", "stat_kthread", "stat_paren_comm", "stat_sd_pam",
        "status_sleep", "status_kthread", "io_sleep", "limits_sleep", "smaps_rollup_sleep",
        "cgroup_sleep", "cmdline_sleep", "proc_stat", "uptime",
    ];
}
