using System.Globalization;
using System.Text;
using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>
/// /metrics/fleet: every host's namedprocess_namegroup_* series with a node label, from the fleet view, in the
/// Prometheus text format (one scrape target for a small fleet, like a federation endpoint). Hosts that are
/// unreachable keep their last figures and are flagged by procactors_fleet_node_status; hosts that left are dropped.
/// </summary>
public static class FleetMetricsText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private sealed record Family(string Name, string Type, string Help, Func<GroupSummary, IEnumerable<(string? Label, string? Value, double Number)>> Values);

    private static IEnumerable<(string?, string?, double)> One(double value) => [(null, null, value)];

    private static readonly Family[] Families =
    [
        new("namedprocess_namegroup_num_procs", "gauge", "number of processes in this group", g => One(g.Procs)),
        new("namedprocess_namegroup_cpu_seconds_total", "counter", "Cpu user usage in seconds",
            g => [("mode", "user", g.CpuUserSeconds), ("mode", "system", g.CpuSystemSeconds)]),
        new("namedprocess_namegroup_read_bytes_total", "counter", "number of bytes read by this group", g => One(g.ReadBytes)),
        new("namedprocess_namegroup_write_bytes_total", "counter", "number of bytes written by this group", g => One(g.WriteBytes)),
        new("namedprocess_namegroup_major_page_faults_total", "counter", "Major page faults", g => One(g.MajorPageFaults)),
        new("namedprocess_namegroup_minor_page_faults_total", "counter", "Minor page faults", g => One(g.MinorPageFaults)),
        new("namedprocess_namegroup_context_switches_total", "counter", "Context switches",
            g => [("ctxswitchtype", "voluntary", g.VoluntaryContextSwitches), ("ctxswitchtype", "nonvoluntary", g.NonvoluntaryContextSwitches)]),
        new("namedprocess_namegroup_memory_bytes", "gauge", "number of bytes of memory in use",
            g => [("memtype", "resident", g.ResidentBytes), ("memtype", "virtual", g.VirtualBytes), ("memtype", "swapped", g.SwappedBytes),
                ("memtype", "proportionalResident", g.ProportionalResidentBytes), ("memtype", "proportionalSwapped", g.ProportionalSwappedBytes)]),
        new("namedprocess_namegroup_open_filedesc", "gauge", "number of open file descriptors for this group", g => One(g.OpenFileDescriptors)),
        new("namedprocess_namegroup_worst_fd_ratio", "gauge", "the worst (closest to 1) ratio between open fds and max fds among all procs in this group", g => One(g.WorstFdRatio)),
        new("namedprocess_namegroup_oldest_start_time_seconds", "gauge", "start time in seconds since 1970/01/01 of oldest process in group",
            g => One(g.OldestStartTime is { } oldest ? oldest.ToUnixTimeMilliseconds() / 1000.0 : 0)),
        new("namedprocess_namegroup_num_threads", "gauge", "Number of threads", g => One(g.NumThreads)),
        new("namedprocess_namegroup_states", "gauge", "Number of processes in states Running, Sleeping, Waiting, Zombie, or Other",
            g => [("state", "Running", g.States.Running), ("state", "Sleeping", g.States.Sleeping), ("state", "Waiting", g.States.Waiting),
                ("state", "Zombie", g.States.Zombie), ("state", "Other", g.States.Other)]),
    ];

    public static string Render(FleetView view)
    {
        var text = new StringBuilder(16_384);
        var reporting = view.Members.Where(m => m.Reports).ToList();
        foreach (var family in Families)
        {
            text.Append("# HELP ").Append(family.Name).Append(' ').Append(family.Help).Append('\n');
            text.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Type).Append('\n');
            foreach (var member in reporting)
            {
                foreach (var group in member.Summary!.Groups)
                {
                    foreach (var (label, value, number) in family.Values(group))
                    {
                        text.Append(family.Name).Append("{node=\"").Append(Escape(member.Name)).Append("\",groupname=\"").Append(Escape(group.Name)).Append('"');
                        if (label is not null) text.Append(',').Append(label).Append("=\"").Append(value).Append('"');
                        text.Append("} ").Append(Number(number)).Append('\n');
                    }
                }
            }
        }
        text.Append("# HELP procactors_fleet_node_status 1 for the status each host of the fleet has, as this node sees it\n");
        text.Append("# TYPE procactors_fleet_node_status gauge\n");
        foreach (var member in view.Members)
        {
            foreach (var status in Enum.GetValues<NodeStatus>())
            {
                text.Append("procactors_fleet_node_status{node=\"").Append(Escape(member.Name)).Append("\",status=\"").Append(status.ToString().ToLowerInvariant())
                    .Append("\"} ").Append(member.Status == status ? '1' : '0').Append('\n');
            }
        }
        text.Append("# HELP procactors_fleet_node_last_cycle_timestamp_seconds when the last cycle a host published ended\n");
        text.Append("# TYPE procactors_fleet_node_last_cycle_timestamp_seconds gauge\n");
        foreach (var member in view.Members.Where(m => m.Summary?.UpdatedAt is not null))
        {
            text.Append("procactors_fleet_node_last_cycle_timestamp_seconds{node=\"").Append(Escape(member.Name)).Append("\"} ")
                .Append(Number(member.Summary!.UpdatedAt!.Value.ToUnixTimeMilliseconds() / 1000.0)).Append('\n');
        }
        return text.ToString();
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
