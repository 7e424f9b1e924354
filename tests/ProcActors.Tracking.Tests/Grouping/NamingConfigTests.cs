using ProcActors.Tracking.Grouping;
using static ProcActors.Tracking.Tests.GroupingRules.TestProcs;

namespace ProcActors.Tracking.Tests.GroupingRules;

public sealed class NamingConfigTests
{
    [Fact]
    public void Comm_matches_only_the_exact_comm_values_listed()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - comm: [bash, sh]
                name: "{{.Comm}}"
            """);

        Assert.Equal("bash", config.Name(Proc("bash", "/bin/bash")));
        Assert.Equal("sh", config.Name(Proc("sh")));
        Assert.Null(config.Name(Proc("bash2", "/bin/bash")));
        Assert.Null(config.Name(Proc("Bash", "/bin/bash")));
    }

    // process-exporter's TestConfigBasic.
    [Fact]
    public void Exe_without_a_slash_matches_the_basename_of_argv0_and_with_a_slash_the_whole_argv0()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - exe:
                - bash
              - exe:
                - sh
              - exe:
                - /bin/ksh
            """);

        Assert.Equal("bash", config.Name(Proc("bash", "/bin/bash")));
        Assert.Equal("bash", config.Name(Proc("not-bash", "/usr/local/bin/bash", "-l")));
        Assert.Equal("sh", config.Name(Proc("sh", "sh")));
        Assert.Equal("ksh", config.Name(Proc("ksh", "/bin/ksh")));
        Assert.Null(config.Name(Proc("ksh", "/usr/bin/ksh")));
        Assert.Null(config.Name(Proc("ksh", "ksh")));
    }

    [Fact]
    public void Exe_never_matches_a_process_without_a_command_line()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - exe: [kthreadd]
            """);

        Assert.Null(config.Name(Proc("kthreadd")));
    }

    [Theory]
    [InlineData("[/usr/bin/foo, foo]", "/opt/foo", "foo")]
    [InlineData("[foo, /usr/bin/foo]", "/opt/foo", null)]
    [InlineData("[foo, /usr/bin/foo]", "/usr/bin/foo", "foo")]
    public void Of_two_exe_entries_with_one_basename_the_later_decides(string exes, string argv0, string? expected)
    {
        var config = NamingConfig.Parse($"""
            process_names:
              - exe: {exes}
            """);

        Assert.Equal(expected, config.Name(Proc("foo", argv0)));
    }

    [Fact]
    public void Cmdline_regexes_must_all_match_the_command_line_joined_with_spaces()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - cmdline:
                - ^java -
                - -jar app\.jar$
                name: app
            """);

        Assert.Equal("app", config.Name(Proc("java", "java", "-Xmx1g", "-jar", "app.jar")));
        Assert.Null(config.Name(Proc("java", "java", "-jar", "other.jar")));
        Assert.Null(config.Name(Proc("java", "/usr/bin/java", "-jar", "app.jar")));
    }

    [Fact]
    public void A_cmdline_regex_matches_anywhere_in_the_command_line_unless_anchored()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - cmdline: ['--serve']
                name: server
            """);

        Assert.Equal("server", config.Name(Proc("x", "/bin/x", "--port", "1", "--serve", "now")));
    }

    [Fact]
    public void Every_matcher_of_an_item_must_match()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - comm: [python3]
                exe: [/usr/bin/python3]
                cmdline: ['manage\.py']
                name: django
            """);

        Assert.Equal("django", config.Name(Proc("python3", "/usr/bin/python3", "manage.py", "runserver")));
        Assert.Null(config.Name(Proc("python3.12", "/usr/bin/python3", "manage.py")));
        Assert.Null(config.Name(Proc("python3", "/usr/local/bin/python3", "manage.py")));
        Assert.Null(config.Name(Proc("python3", "/usr/bin/python3", "other.py")));
    }

    [Fact]
    public void The_first_matching_item_names_the_process()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - cmdline: ['--special']
                name: special
              - comm: [app]
                name: "app-{{.Comm}}"
              - comm: [app]
                name: never
            """);

        Assert.Equal("special", config.Name(Proc("app", "/bin/app", "--special")));
        Assert.Equal("app-app", config.Name(Proc("app", "/bin/app")));
    }

    [Fact]
    public void A_process_no_item_matches_has_no_name()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - comm: [app]
            """);

        Assert.Null(config.Name(Proc("other", "/bin/other")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n    name: ''")]
    [InlineData("\n    name:")]
    public void Without_a_name_the_group_is_the_basename_of_argv0(string nameLine)
    {
        var config = NamingConfig.Parse($"""
            process_names:
              - comm: [postgres]{nameLine}
            """);

        Assert.Equal("postgres", config.Name(Proc("postgres", "/usr/lib/postgresql/16/bin/postgres", "-D", "/data")));
    }

    [Fact]
    public void Without_a_command_line_ExeBase_and_ExeFull_fall_back_to_the_comm()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - comm: [kworker/0:1]
                name: "{{.ExeBase}}|{{.ExeFull}}"
            """);

        Assert.Equal("kworker/0:1|kworker/0:1", config.Name(Proc("kworker/0:1")));
    }

    [Theory]
    [InlineData("/usr/bin/", "bin")]
    [InlineData("/", "/")]
    [InlineData("//", "/")]
    [InlineData("", ".")]
    [InlineData("plain", "plain")]
    [InlineData("./run.sh", "run.sh")]
    public void ExeBase_is_the_basename_as_Go_computes_it(string argv0, string expected)
    {
        var config = NamingConfig.Parse("""
            process_names:
              - comm: [x]
            """);

        Assert.Equal(expected, config.Name(Proc("x", argv0, "arg")));
    }

    // process-exporter's TestConfigTemplates.
    [Fact]
    public void Named_captures_of_cmdline_regexes_fill_the_template()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - exe:
                - postmaster
                cmdline:
                - "-D\\s+.+?(?P<Path>[^/]+)(?:$|\\s)"
                name: "{{.ExeBase}}:{{.Matches.Path}}"
              - exe:
                - prometheus
                name: "{{.ExeFull}}"
            """);

        Assert.Equal("postmaster:pg", config.Name(Proc("postmaster", "/usr/bin/postmaster", "-D", "/data/pg")));
        Assert.Equal("/usr/local/bin/prometheus", config.Name(Proc("prometheus", "/usr/local/bin/prometheus")));
    }

    [Fact]
    public void Captures_of_all_regexes_are_merged_and_a_repeated_name_takes_the_last_regexs_value()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - cmdline:
                - '--user=(?P<User>\w+)'
                - '--db=(?<Db>\w+)'
                - '(?P<User>--user)'
                name: "{{.Matches.User}}/{{.Matches.Db}}"
            """);

        Assert.Equal("--user/main", config.Name(Proc("svc", "svc", "--user=bob", "--db=main")));
    }

    [Fact]
    public void A_named_group_that_took_no_part_in_the_match_renders_empty()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - cmdline: ['^(?P<Exe>\S+)(?: --name=(?P<Name>\S+))?']
                name: "{{.Matches.Exe}}[{{.Matches.Name}}]"
            """);

        Assert.Equal("/bin/a[]", config.Name(Proc("a", "/bin/a", "--other")));
        Assert.Equal("/bin/a[b]", config.Name(Proc("a", "/bin/a", "--name=b")));
    }

    [Theory]
    [InlineData("{{.Comm}}", "nginx")]
    [InlineData("{{.ExeBase}}", "nginx")]
    [InlineData("{{.ExeFull}}", "/usr/sbin/nginx")]
    [InlineData("{{.Username}}", "www-data")]
    [InlineData("{{.PID}}", "4242")]
    [InlineData("{{.StartTime}}", "2024-03-05 07:08:09.12 +0000 UTC")]
    [InlineData("{{.Cgroups}}", "[0::/system.slice/nginx.service 1:name=systemd:/x]")]
    [InlineData("{{.Matches.Role}}", "worker")]
    [InlineData("{{.Matches}}", "map[:role=worker Role:worker]")]
    [InlineData("pre {{.Comm}}-{{ .PID }} post", "pre nginx-4242 post")]
    [InlineData("fixed", "fixed")]
    public void Every_template_field_renders_as_process_exporter_prints_it(string template, string expected)
    {
        var config = NamingConfig.Parse($"""
            process_names:
              - cmdline: ['role=(?P<Role>\w+)']
                name: '{template}'
            """);

        Assert.Equal(expected, config.Name(Proc("nginx", "/usr/sbin/nginx", "-g", "role=worker")));
    }

    [Fact]
    public void A_start_time_on_a_whole_second_prints_no_fraction()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - comm: [x]
                name: "{{.StartTime}}"
            """);

        var proc = Proc("x") with { StartTime = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero) };
        Assert.Equal("2001-02-03 04:05:06 +0000 UTC", config.Name(proc));
    }

    [Fact]
    public void A_process_without_cgroups_prints_an_empty_list()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - comm: [x]
                name: "{{.Cgroups}}"
            """);

        Assert.Equal("[]", config.Name(Proc("x") with { Cgroups = [] }));
    }

    [Fact]
    public void The_Matches_map_keeps_under_the_empty_key_the_last_unnamed_group_and_is_empty_without_cmdline()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - cmdline: ['(a)(?P<N>b)(c)']
                name: "{{.Matches}}"
              - comm: [x]
                name: "{{.Matches}}"
            """);

        Assert.Equal("map[:c N:b]", config.Name(Proc("y", "abc")));
        Assert.Equal("map[]", config.Name(Proc("x", "x")));
    }

    [Fact]
    public void Anchors_and_aliases_share_a_list_between_items()
    {
        var config = NamingConfig.Parse("""
            process_names:
              - comm: &shells [bash, sh]
                cmdline: ['--login']
                name: login-shell
              - comm: *shells
                name: shell
            """);

        Assert.Equal("login-shell", config.Name(Proc("sh", "-sh", "--login")));
        Assert.Equal("shell", config.Name(Proc("sh", "sh")));
    }

    [Fact]
    public void Load_reads_the_configuration_from_a_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"naming-{Guid.NewGuid():N}.yml");
        File.WriteAllText(path, """
            process_names:
              - comm: [app]
                name: "{{.Comm}}-group"
            """);
        try
        {
            Assert.Equal("app-group", NamingConfig.Load(path).Name(Proc("app")));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
