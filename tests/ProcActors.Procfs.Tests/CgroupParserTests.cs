using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

public sealed class CgroupParserTests
{
    [Fact]
    public void Parses_a_real_hybrid_hierarchy_in_file_order()
    {
        Assert.Equal(
            ["/", "/", "/", "/", "/", "/process_api/5393d3bc4eef306d5b38c3693b4b15da", "/", "/", "/", "/"],
            CgroupParser.Parse(Fixtures.Bytes("cgroup_sleep")));
    }

    [Fact]
    public void Parses_a_unified_hierarchy()
    {
        Assert.Equal(["/user.slice/user-1000.slice/session-2.scope"], CgroupParser.Parse("0::/user.slice/user-1000.slice/session-2.scope\n"u8));
    }

    [Fact]
    public void Keeps_colons_in_the_path_and_controllers_out_of_it()
    {
        Assert.Equal(["/docker/a:b:c", "/kubepods"], CgroupParser.Parse("12:cpu,cpuacct:/docker/a:b:c\n3:name=systemd:/kubepods"u8));
    }

    [Fact]
    public void Skips_lines_that_are_not_three_fields()
    {
        Assert.Equal(["/ok", ""], CgroupParser.Parse("garbage\n1:cpu\n\n0::/ok\n2:x:\n"u8));
    }

    [Fact]
    public void An_empty_file_has_no_paths()
    {
        Assert.Empty(CgroupParser.Parse([]));
    }
}
