using System.Diagnostics;

namespace ProcActors.Host.Tests;

/// <summary>
/// Every invalid flag or configuration: one line naming the problem and where it is, and exit code 2. The table runs
/// in-process through the same AgentStartup that Main calls; a sample of it runs through the real executable.
/// </summary>
public sealed class BadInputTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procactors-badinput-").FullName;

    /// <summary>Name, arguments ({dir} is a folder holding the files below), files, and what the line must contain.</summary>
    public static TheoryData<string, string[], string[], string> Cases => new()
    {
        { "unknown flag", ["-nosuchflag"], [], "flag provided but not defined: -nosuchflag" },
        { "flag without its value", ["-procfs"], [], "flag needs an argument: -procfs" },
        { "bad boolean", ["-children=maybe"], [], "invalid boolean value \"maybe\" for -children" },
        { "bad boolean of ours", ["-web.enable-lifecycle=yes"], [], "invalid boolean value \"yes\" for -web.enable-lifecycle" },
        { "duration without unit", ["-once-to-stdout-delay=5"], [], "invalid duration \"5\" for -once-to-stdout-delay" },
        { "duration with unknown unit", ["-scan-interval=5d"], [], "invalid duration \"5d\" for -scan-interval" },
        { "negative duration", ["-recheck-with-time-limit=-1s"], [], "invalid duration \"-1s\" for -recheck-with-time-limit" },
        { "zero interval", ["--scan-interval=0"], [], "for -scan-interval: must be positive" },
        { "read timeout without unit", ["--read-timeout=2"], [], "invalid duration \"2\" for -read-timeout" },
        { "no stuck read allowed", ["--max-stuck-reads=0"], [], "invalid value \"0\" for -max-stuck-reads" },
        { "stray argument", ["stray"], [], "unexpected argument \"stray\"" },
        { "bare double dash", ["--"], [], "unexpected argument \"--\"" },
        { "zero snapshot period", ["-snapshot-every=0"], [], "invalid value \"0\" for -snapshot-every" },
        { "negative snapshot period", ["-snapshot-every=-3"], [], "invalid value \"-3\" for -snapshot-every" },
        { "unknown store", ["-persistence=mysql:db"], [], "invalid value \"mysql:db\" for -persistence" },
        { "store without path", ["-persistence=sqlite:"], [], "invalid value \"sqlite:\" for -persistence" },
        { "listen address without port", ["-web.listen-address=localhost"], [], "-web.listen-address: \"localhost\" is not host:port" },
        { "listen port out of range", ["-web.listen-address=:99999"], [], "-web.listen-address: \":99999\"" },
        { "listen port not a number", ["-web.listen-address=:http"], [], "-web.listen-address: \":http\"" },
        { "IPv6 without brackets", ["-web.listen-address=::1:9256"], [], "IPv6 addresses go in brackets" },
        { "telemetry path without slash", ["-web.telemetry-path=metrics"], [], "-web.telemetry-path: \"metrics\"" },
        { "telemetry path on the page", ["-web.telemetry-path=/"], [], "-web.telemetry-path: \"/\"" },
        { "procfs that is not there", ["-procfs=/nonexistent/proc"], [], "-procfs: \"/nonexistent/proc\" is not a directory" },
        { "empty node name", ["-node-name="], [], "-node-name: must be non-empty" },
        { "unknown remote transport", ["--remote-transport=udp"], [], "invalid value \"udp\" for -remote-transport: direct or dotnetty" },
        { "remote transport without remoting", ["--remote=none", "--remote-transport=dotnetty"], [], "-remote-transport: remoting is off" },
        { "direct transport with TLS", ["--remote-transport=direct", "--remote-tls-cert={dir}/none.p12"], [], "-remote-transport direct has no TLS" },
        { "config and procnames", ["-procnames", "a", "-config.path", "{dir}/ok.yml"], ["ok.yml", "process_names:\n  - comm: [a]\n"], "-config.path cannot be used with -procnames" },
        { "namemapping alone", ["-namemapping", "a,(b)"], [], "-namemapping requires -procnames" },
        { "namemapping odd tokens", ["-procnames", "a", "-namemapping", "a,(b),c"], [], "-namemapping \"a,(b),c\": expected comm,regex pairs" },
        { "namemapping bad regex", ["-procnames", "a", "-namemapping", "a,(b"], [], "-namemapping: invalid regular expression \"(b\"" },
        { "procnames empty", ["-procnames", ""], [], "-procnames and -namemapping name no process" },
        { "config missing", ["-config.path", "{dir}/none.yml"], [], "none.yml: cannot read the configuration file" },
        { "config empty", ["-config.path", "{dir}/c.yml"], ["c.yml", ""], "c.yml: the configuration is empty" },
        { "config unknown top key", ["-config.path", "{dir}/c.yml"], ["c.yml", "process_names:\n  - comm: [a]\nextra: 1\n"], "c.yml:3: extra: unknown key" },
        { "config bad regex", ["-config.path", "{dir}/c.yml"], ["c.yml", "process_names:\n  - name: x\n    cmdline: ['(']\n"], "c.yml:3: process_names[1].cmdline[0]: invalid regular expression" },
        { "config bad template", ["-config.path", "{dir}/c.yml"], ["c.yml", "process_names:\n  - name: '{{.Nope}}'\n    comm: [a]\n"], "c.yml:2: process_names[1].name:" },
        { "config bad YAML", ["-config.path", "{dir}/c.yml"], ["c.yml", "process_names:\n  - comm: [a]\n   exe: [b]\n"], "c.yml:3: invalid YAML" },
        { "config not a list", ["-config.path", "{dir}/c.yml"], ["c.yml", "process_names: 3\n"], "c.yml:1: process_names" },
        { "config item without matcher", ["-config.path", "{dir}/c.yml"], ["c.yml", "process_names:\n  - name: x\n"], "c.yml:2: process_names[1]" },
        { "lifecycle without config", ["-web.enable-lifecycle"], [], "-web.enable-lifecycle: reload re-reads -config.path" },
        { "web config missing", ["-web.config.file", "{dir}/none.yml"], [], "none.yml: cannot read the web configuration file" },
        { "web config unknown key", ["-web.config.file", "{dir}/w.yml"], ["w.yml", "basic_auth_users: {}\ntls_config: {}\n"], "w.yml:2: tls_config: unknown key" },
        { "web config unsupported key", ["-web.config.file", "{dir}/w.yml"], ["w.yml", "http_server_config:\n  http2: false\n"], "w.yml:1: http_server_config: not supported" },
        { "web config bad YAML", ["-web.config.file", "{dir}/w.yml"], ["w.yml", "basic_auth_users:\n  a: [\n"], "w.yml:" },
        { "web config alias", ["-web.config.file", "{dir}/w.yml"], ["w.yml", "basic_auth_users: &u\n  a: *u\n"], "w.yml:2: aliases" },
        { "web config plain password", ["-web.config.file", "{dir}/w.yml"], ["w.yml", "basic_auth_users:\n  prometheus: secret\n"], "w.yml:2: basic_auth_users.prometheus: not a bcrypt hash" },
        { "web config user with colon", ["-web.config.file", "{dir}/w.yml"], ["w.yml", "basic_auth_users:\n  'a:b': $2y$10$abcdefghijklmnopqrstuuJQ0nq8K4Qk0aDKG9Dxs3aXxR0aJDs5W\n"], "w.yml:2: basic_auth_users.a:b: a user name must" },
        { "web config cert without key", ["-web.config.file", "{dir}/w.yml"], ["w.yml", "tls_server_config:\n  cert_file: c.pem\n"], "w.yml:2: tls_server_config.key_file: missing" },
        { "web config cert not there", ["-web.config.file", "{dir}/w.yml"], ["w.yml", "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n"], "w.yml:2: tls_server_config.cert_file: cannot load \"c.pem\"" },
        { "web config bad client auth", ["-web.config.file", "{dir}/w.yml"], ["w.yml", "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_auth_type: Always\n"], "w.yml:4: tls_server_config.client_auth_type: invalid value \"Always\"" },
        { "web config unknown TLS key", ["-web.config.file", "{dir}/w.yml"], ["w.yml", "tls_server_config:\n  cert_file: c.pem\n  cipher_suites: [x]\n"], "w.yml:3: tls_server_config.cipher_suites: unknown or unsupported key" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_input_is_one_line_naming_problem_and_place_with_exit_code_2(string name, string[] args, string[] files, string expected)
    {
        var error = new StringWriter();
        var code = AgentStartup.TryPrepare(Materialize(args, files), error, out var agent);

        Assert.True(code == 2, $"{name}: exit code {code?.ToString() ?? "none (accepted)"}");
        Assert.Null(agent);
        var text = error.ToString();
        Assert.Single(text.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("procactors: ", text, StringComparison.Ordinal);
        Assert.Contains(expected.Replace("{dir}", _dir, StringComparison.Ordinal), text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_table_holds_at_least_thirty_distinct_bad_inputs() =>
        Assert.True(Cases.Count >= 30, $"{Cases.Count} cases");

    [Fact]
    public void Valid_inputs_of_the_same_kinds_are_accepted()
    {
        var args = Materialize(
            ["-config.path", "{dir}/ok.yml", "-web.config.file", "{dir}/w.yml", "-web.listen-address=[::1]:0", "-web.enable-lifecycle",
                "-redact-cmdline", "-persistence=none", "-web.telemetry-path=/m"],
            ["ok.yml", "process_names:\n  - comm: [a]\n", "w.yml", "basic_auth_users:\n  u: $2y$10$abcdefghijklmnopqrstuuJQ0nq8K4Qk0aDKG9Dxs3aXxR0aJDs5W\n"]);
        var error = new StringWriter();
        Assert.Null(AgentStartup.TryPrepare(args, error, out var agent));
        Assert.Equal(string.Empty, error.ToString());
        Assert.True(agent!.Options.RedactCmdline);
        Assert.Single(agent.Web!.BasicAuthUsers);
    }

    [Theory]
    [InlineData("-nosuchflag", "", "flag provided but not defined")]
    [InlineData("-web.listen-address=localhost", "", "-web.listen-address")]
    [InlineData("-config.path={dir}/c.yml", "process_names:\n  - cmdline: ['(']\n", "c.yml:2: process_names[1].cmdline[0]")]
    [InlineData("-web.config.file={dir}/c.yml", "basic_auth_users:\n  u: x\n", "c.yml:2: basic_auth_users.u")]
    public async Task The_executable_prints_the_line_and_exits_2(string arg, string file, string expected)
    {
        var args = Materialize([arg], file.Length > 0 ? ["c.yml", file] : []);
        using var process = Process.Start(AgentProcess.StartInfo(args))!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        // An agent that accepted the input would serve forever: it is killed, and the exit code then fails the test.
        await using var kill = timeout.Token.Register(() => process.Kill());
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Materialize(string[] args, string[] files)
    {
        for (var i = 0; i < files.Length; i += 2) File.WriteAllText(Path.Combine(_dir, files[i]), files[i + 1]);
        return [.. args.Select(a => a.Replace("{dir}", _dir, StringComparison.Ordinal))];
    }
}
