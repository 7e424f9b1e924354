using ProcActors.Procfs;

namespace ProcActors.Tracking.Tests.GroupingRules;

internal static class TestProcs
{
    /// <summary>09:08:09.12 at +02:00, i.e. 07:08:09.12 UTC.</summary>
    public static readonly DateTimeOffset StartTime = new(2024, 3, 5, 9, 8, 9, 120, TimeSpan.FromHours(2));

    /// <summary>A process with the given comm and argv; every other fact is fixed and visible in the template tests.</summary>
    public static ProcStatic Proc(string comm, params string[] cmdline) => new(
        Id: new ProcId(4242, 123_456),
        Name: comm,
        Cmdline: cmdline,
        Cgroups: ["0::/system.slice/nginx.service", "1:name=systemd:/x"],
        ParentPid: 1,
        StartTime: StartTime,
        EffectiveUid: 33,
        Username: "www-data",
        ExePath: cmdline.Length > 0 ? cmdline[0] : "");
}
