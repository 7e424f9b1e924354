using ProcActors.Tracking.Grouping;
using static ProcActors.Tracking.Tests.GroupingRules.TestProcs;

namespace ProcActors.Tracking.Tests.GroupingRules;

public sealed class ProcNamesNamerTests
{
    [Fact]
    public void Procnames_track_the_listed_comms_each_as_its_own_group()
    {
        var namer = ProcNamesNamer.Create("bash,prometheus", null);

        Assert.Equal("bash", namer.Name(Proc("bash", "/bin/bash")));
        Assert.Equal("prometheus", namer.Name(Proc("prometheus", "/usr/bin/prometheus", "--config.file=x")));
        Assert.Null(namer.Name(Proc("zsh", "/bin/bash")));
    }

    [Fact]
    public void Procnames_ignore_empty_entries_but_do_not_trim_spaces()
    {
        var namer = ProcNamesNamer.Create(",bash,, sh,", "");

        Assert.Equal("bash", namer.Name(Proc("bash")));
        Assert.Null(namer.Name(Proc("sh")));
        Assert.Equal(" sh", namer.Name(Proc(" sh")));
    }

    // The example of process-exporter's manual.
    [Fact]
    public void Namemapping_names_the_group_comm_colon_first_capture()
    {
        var namer = ProcNamesNamer.Create("", @"python2,([^/]+)\.py,java,-jar\s+([^/]+).jar");

        Assert.Equal("python2:backup", namer.Name(Proc("python2", "python2", "/opt/tools/backup.py", "--all")));
        Assert.Equal("java:app", namer.Name(Proc("java", "java", "-jar", "app.jar")));
    }

    [Fact]
    public void Namemapping_uses_the_first_capture_group_that_is_not_empty()
    {
        var namer = ProcNamesNamer.Create("", @"svc,--mode=(a)?(b)?(\w*)");

        Assert.Equal("svc:b", namer.Name(Proc("svc", "svc", "--mode=b")));
        Assert.Equal("svc:c", namer.Name(Proc("svc", "svc", "--mode=c")));
    }

    [Fact]
    public void A_mapped_comm_is_not_tracked_when_its_regex_yields_no_capture_even_if_procnames_lists_it()
    {
        var namer = ProcNamesNamer.Create("upstart,bash", "upstart,(--user)");

        Assert.Equal("upstart:--user", namer.Name(Proc("upstart", "/sbin/upstart", "--user")));
        Assert.Null(namer.Name(Proc("upstart", "/sbin/upstart")));
        Assert.Equal("bash", namer.Name(Proc("bash", "bash")));
    }

    [Fact]
    public void A_mapped_comm_is_tracked_without_being_listed_in_procnames()
    {
        var namer = ProcNamesNamer.Create("bash", "nginx,role=(\\w+)");

        Assert.Equal("nginx:worker", namer.Name(Proc("nginx", "nginx", "role=worker")));
    }

    [Fact]
    public void Of_two_mappings_for_one_comm_the_later_applies()
    {
        var namer = ProcNamesNamer.Create("", "app,(first),app,(second)");

        Assert.Null(namer.Name(Proc("app", "app", "first")));
        Assert.Equal("app:second", namer.Name(Proc("app", "app", "second")));
    }

    [Theory]
    [InlineData("", null, "-procnames and -namemapping name no process to track")]
    [InlineData(",,", "", "-procnames and -namemapping name no process to track")]
    [InlineData("", "a,(x),b", "-namemapping \"a,(x),b\": expected comm,regex pairs but found 3 comma-separated tokens (a regex cannot contain a comma)")]
    [InlineData("", "a,x{1,3}", "-namemapping \"a,x{1,3}\": expected comm,regex pairs but found 3 comma-separated tokens (a regex cannot contain a comma)")]
    [InlineData("", "a,(x),,(y)", "-namemapping \"a,(x),,(y)\": token 3 of 4 is empty")]
    [InlineData("", "a,x", "-namemapping: regular expression \"x\" for comm \"a\" has no capture group, so it can never name a process; wrap the distinguishing part in (...)")]
    [InlineData("", "a,(?=x)", "-namemapping: invalid regular expression \"(?=x)\" for comm \"a\": invalid or unsupported Perl syntax \"(?=\"")]
    public void Malformed_flags_are_refused(string procNames, string? nameMapping, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => ProcNamesNamer.Create(procNames, nameMapping));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void A_regex_dotnet_cannot_parse_is_refused_naming_the_comm()
    {
        var error = Assert.Throws<ConfigException>(() => ProcNamesNamer.Create("", "a,(x"));

        Assert.StartsWith("-namemapping: invalid regular expression \"(x\" for comm \"a\": ", error.Message);
    }
}
