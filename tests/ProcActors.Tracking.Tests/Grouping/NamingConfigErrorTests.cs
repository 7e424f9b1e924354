using CsCheck;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Tracking.Tests.GroupingRules;

public sealed class NamingConfigErrorTests
{
    private const string Fields = ".Comm, .ExeBase, .ExeFull, .Username, .PID, .StartTime, .Cgroups, .Matches and .Matches.NAME";

    private static string ErrorOf(string yaml) => Assert.Throws<ConfigException>(() => NamingConfig.Parse(yaml, "test.yml")).Message;

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void An_empty_file_is_refused(string yaml)
    {
        Assert.Equal("test.yml: the configuration is empty; it needs a process_names: list", ErrorOf(yaml));
    }

    [Fact]
    public void A_YAML_syntax_error_names_its_line()
    {
        var message = ErrorOf("""
            process_names:
              - comm: [a]
               exe: [b]
            """);

        // The rest is YamlDotNet's wording, without its position prefix.
        Assert.StartsWith("test.yml:3: invalid YAML: While parsing a block ", message);
        Assert.DoesNotContain("Line:", message);
    }

    [Fact]
    public void A_YAML_error_the_parser_cannot_place_names_the_line_it_reached()
    {
        Assert.Equal(
            "test.yml:2: invalid YAML at or after this line",
            ErrorOf("""
                process_names:
                  - comm: [a
                  - comm: [b]
                """));
    }

    [Fact]
    public void A_duplicate_key_names_its_line()
    {
        Assert.Equal(
            "test.yml:3: invalid YAML: Duplicate key comm",
            ErrorOf("""
                process_names:
                  - comm: [a]
                    comm: [b]
                """));
    }

    [Fact]
    public void A_recursive_alias_is_refused_instead_of_overflowing_the_stack()
    {
        Assert.Equal(
            "test.yml:3: alias *a is inside the node it refers to; recursive YAML is not supported",
            ErrorOf("""
                process_names:
                  - comm: [a]
                    ? &a [*a]
                    : x
                """));
    }

    [Fact]
    public void Absurd_nesting_is_refused_instead_of_overflowing_the_stack()
    {
        var message = ErrorOf("process_names: " + new string('[', 100_000));

        Assert.Equal("test.yml:1: nested more than 32 levels deep; a configuration needs 4", message);
    }

    [Theory]
    [InlineData("- comm: [a]\n", "test.yml:1: (top level): expected a mapping with a process_names: key, found a list")]
    [InlineData("process_name:\n  - comm: [a]\n", "test.yml:1: process_name: unknown key; the only top-level key is process_names")]
    [InlineData("{}\n", "test.yml:1: process_names: missing; the configuration needs a process_names: list")]
    [InlineData("process_names: bash\n", "test.yml:1: process_names: expected a list of items, found \"bash\"")]
    [InlineData("process_names:\n", "test.yml:1: process_names: expected a list of items, found null")]
    [InlineData("process_names: []\n", "test.yml:1: process_names: the list is empty, so no process would be named")]
    [InlineData("process_names:\n  - comm: [a]\n---\nprocess_names:\n  - comm: [b]\n", "test.yml:4: (document 2): only one YAML document is allowed")]
    public void A_malformed_top_level_is_refused(string yaml, string expected)
    {
        Assert.Equal(expected, ErrorOf(yaml));
    }

    [Theory]
    [InlineData("""
        process_names:
          - comm: [a]
          - bash
        """, "test.yml:3: process_names[2]: expected a mapping with keys name, comm, exe and cmdline, found \"bash\"")]
    [InlineData("""
        process_names:
          - comm: [a]
          - comm: [b]
            cmd: [x]
        """, "test.yml:4: process_names[2].cmd: unknown key; an item has keys name, comm, exe and cmdline")]
    [InlineData("""
        process_names:
          - name: lonely
        """, "test.yml:2: process_names[1]: no matcher; give at least one of comm, exe or cmdline")]
    [InlineData("""
        process_names:
          - comm:
            name: lonely
        """, "test.yml:2: process_names[1]: no matcher; give at least one of comm, exe or cmdline")]
    [InlineData("""
        process_names:
          - comm: bash
        """, "test.yml:2: process_names[1].comm: expected a list, found \"bash\"")]
    [InlineData("""
        process_names:
          - exe: {a: b}
        """, "test.yml:2: process_names[1].exe: expected a list, found a mapping")]
    [InlineData("""
        process_names:
          - exe: [ok, [a]]
        """, "test.yml:2: process_names[1].exe[1]: expected a string, found a list")]
    [InlineData("""
        process_names:
          - comm:
            - ~
        """, "test.yml:3: process_names[1].comm[0]: expected a string, found null")]
    [InlineData("""
        process_names:
          - cmdline: []
        """, "test.yml:2: process_names[1].cmdline: the list is empty; give at least one entry or remove the key")]
    [InlineData("""
        process_names:
          - comm: [a]
            name: [x]
        """, "test.yml:3: process_names[1].name: expected a string, found a list")]
    [InlineData("""
        process_names:
          - ? [a]
            : [b]
        """, "test.yml:2: process_names[1]: expected a key name, found a list")]
    public void A_malformed_item_is_refused_naming_the_item_and_field(string yaml, string expected)
    {
        Assert.Equal(expected, ErrorOf(yaml));
    }

    [Fact]
    public void An_invalid_regex_is_refused_naming_the_item_and_entry()
    {
        var message = ErrorOf("""
            process_names:
              - comm: [a]
              - cmdline:
                - '('
            """);

        Assert.StartsWith("test.yml:4: process_names[2].cmdline[0]: invalid regular expression \"(\": ", message);
        Assert.Contains("Not enough )'s", message);
    }

    [Theory]
    [InlineData("(?=x)", "invalid or unsupported Perl syntax \"(?=\"")]
    [InlineData("(?<!x)y", "lookbehind \"(?<!\" is not supported by Go's regular expressions")]
    [InlineData("(?U)a+", "the U (ungreedy) flag is not supported; use lazy quantifiers such as *? instead")]
    public void A_regex_Go_would_refuse_or_read_differently_is_refused(string regex, string reason)
    {
        Assert.Equal(
            $"test.yml:4: process_names[1].cmdline[1]: invalid regular expression \"{regex}\": {reason}",
            ErrorOf($"""
                process_names:
                  - cmdline:
                    - ok
                    - '{regex}'
                """));
    }

    [Theory]
    [InlineData("{{.Comm", "unclosed action \"{{.Comm\"")]
    [InlineData("{{.Cwd}}", "unknown field in \"{{.Cwd}}\"; the fields are " + Fields)]
    [InlineData("{{.comm}}", "unknown field in \"{{.comm}}\"; the fields are " + Fields)]
    [InlineData("{{.Comm.X}}", "unknown field in \"{{.Comm.X}}\"; the fields are " + Fields)]
    [InlineData("{{printf \"%s\" .Comm}}", "unsupported action \"{{printf \"%s\" .Comm}}\": only field references such as {{.Comm}} or {{.Matches.NAME}} are supported")]
    [InlineData("{{- .Comm}}", "unsupported action \"{{- .Comm}}\": only field references such as {{.Comm}} or {{.Matches.NAME}} are supported")]
    [InlineData("{{}}", "unsupported action \"{{}}\": only field references such as {{.Comm}} or {{.Matches.NAME}} are supported")]
    public void A_template_that_cannot_render_is_refused(string template, string reason)
    {
        Assert.Equal(
            $"test.yml:3: process_names[1].name: bad template \"{template}\": {reason}",
            ErrorOf($"""
                process_names:
                  - comm: [a]
                    name: '{template}'
                """));
    }

    [Fact]
    public void A_template_naming_a_capture_group_no_regex_defines_is_refused()
    {
        Assert.Equal(
            "test.yml:4: process_names[1].name: {{.Matches.Nme}} names no capture group of this item's cmdline regexes; define it with (?P<Nme>...)",
            ErrorOf("""
                process_names:
                  - cmdline:
                    - '--name=(?P<Name>\w+)'
                    name: '{{.Matches.Nme}}'
                """));
        Assert.Equal(
            "test.yml:3: process_names[1].name: {{.Matches.Name}} needs a cmdline regex with a group named Name, and this item has no cmdline",
            ErrorOf("""
                process_names:
                  - comm: [a]
                    name: '{{.Matches.Name}}'
                """));
    }

    [Fact]
    public void A_value_spanning_lines_still_gives_a_one_line_message()
    {
        var message = ErrorOf("""
            process_names:
              - cmdline: ["(\nx"]
            """);

        Assert.DoesNotContain('\n', message);
        Assert.Contains(@"""(\nx""", message);
    }

    [Fact]
    public void A_file_that_cannot_be_read_is_refused_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.yml");

        var message = Assert.Throws<ConfigException>(() => NamingConfig.Load(path)).Message;

        Assert.StartsWith($"{path}: cannot read the configuration file: ", message);
    }

    [Fact]
    public void Errors_in_a_loaded_file_name_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"naming-{Guid.NewGuid():N}.yml");
        File.WriteAllText(path, "process_names:\n  - name: x\n");
        try
        {
            var message = Assert.Throws<ConfigException>(() => NamingConfig.Load(path)).Message;
            Assert.Equal($"{path}:2: process_names[1]: no matcher; give at least one of comm, exe or cmdline", message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Any_text_either_loads_or_fails_with_a_ConfigException()
    {
        var fragments = Gen.OneOfConst(
            "process_names:", "\n", "  - ", "    ", "comm: ", "exe: ", "cmdline: ", "name: ", "[a, b]", "[", "]", "{", "}",
            "'(?P<X>a)'", "'('", "\"{{.Matches.X}}\"", "'{{.Comm'", "~", "- ", "? ", ": ", "&a ", "*a", "---\n", "#", "\"", "'",
            "[\\d[:alpha:]]", "(?m)$", "\\", "x", " ", "[a", "-", ":");

        fragments.Array[0, 24].Select(string.Concat).Sample(yaml =>
        {
            try
            {
                NamingConfig.Parse(yaml);
            }
            catch (ConfigException)
            {
            }
        });
    }
}
