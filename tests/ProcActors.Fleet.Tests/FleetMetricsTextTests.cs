using ProcActors.Protocol;

namespace ProcActors.Fleet.Tests;

public sealed class FleetMetricsTextTests
{
    [Fact]
    public void Every_reporting_host_s_groups_are_series_with_a_node_label_and_hosts_that_left_are_dropped()
    {
        var t = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var state = new FleetState("a", TimeSpan.FromMinutes(10));
        state.Up("a", "addr-a", 1, t);
        state.Up("b\"x", "addr-b", 2, t);
        state.Up("c", "addr-c", 3, t);
        state.Summary(FleetStateTests.Summary("a", 1, [FleetStateTests.Group("web", 2, 10, 100, t)]), t);
        state.Summary(FleetStateTests.Summary("b\"x", 1, [FleetStateTests.Group("web", 3, 5, 50)]), t);
        state.Summary(FleetStateTests.Summary("c", 1, [FleetStateTests.Group("db", 1, 5, 50)]), t);
        state.Unreachable("b\"x", 2, t);
        state.Left("c", 3, t);

        var lines = FleetMetricsText.Render(state.View).Split('\n');

        Assert.Contains("namedprocess_namegroup_num_procs{node=\"a\",groupname=\"web\"} 2", lines);
        Assert.Contains("namedprocess_namegroup_num_procs{node=\"b\\\"x\",groupname=\"web\"} 3", lines);
        Assert.Contains("namedprocess_namegroup_cpu_seconds_total{node=\"a\",groupname=\"web\",mode=\"system\"} 1", lines);
        Assert.Contains("namedprocess_namegroup_oldest_start_time_seconds{node=\"a\",groupname=\"web\"} 1800000000", lines);
        Assert.Contains("procactors_fleet_node_status{node=\"b\\\"x\",status=\"unreachable\"} 1", lines);
        Assert.Contains("procactors_fleet_node_status{node=\"c\",status=\"left\"} 1", lines);
        Assert.DoesNotContain(lines, l => l.Contains("groupname=\"db\"", StringComparison.Ordinal));
        Assert.Single(lines, l => l == "# TYPE namedprocess_namegroup_num_procs gauge");
    }
}
