using System.Globalization;
using ProcActors.Fleet;
using ProcActors.Actors.Exits;

namespace ProcActors.Host;

/// <summary>The agent's flags: process-exporter's, with the same names, defaults and meanings, plus our own.</summary>
public sealed record AgentOptions
{
    public string Procfs { get; init; } = "/proc";
    public string? ConfigPath { get; init; }
    public string? ProcNames { get; init; }
    public string? NameMapping { get; init; }
    public bool Children { get; init; } = true;
    public bool Threads { get; init; } = true;
    public bool GatherSmaps { get; init; } = true;
    public bool Recheck { get; init; }
    public TimeSpan RecheckWithTimeLimit { get; init; }
    public bool RemoveEmptyGroups { get; init; }
    public TimeSpan? OnceToStdoutDelay { get; init; }
    public string ListenAddress { get; init; } = ":9256";
    public string TelemetryPath { get; init; } = "/metrics";
    public bool Debug { get; init; }
    public bool Version { get; init; }
    public bool Help { get; init; }
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromSeconds(5);
    public string? NodeName { get; init; }
    public PersistenceOption Persistence { get; init; } = PersistenceOption.Default;
    public int SnapshotEvery { get; init; } = 12;
    public TimeSpan SnapshotLoadTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public bool AdaptiveReads { get; init; } = true;
    public int SmapsEvery { get; init; } = 12;
    public int LimitsEvery { get; init; } = 12;
    public int IdleEvery { get; init; } = 12;
    /// <summary>Deadline of one read of /proc; zero reads without a bound (see ReadTimeouts).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(2);
    public int MaxStuckReads { get; init; } = 4;
    public string? WebConfigFile { get; init; }
    public bool WebEnableLifecycle { get; init; }
    public bool RedactCmdline { get; init; }
    /// <summary>Where the cluster listens; null: remoting off (--remote none).</summary>
    public ClusterEndpoint? Remote { get; init; } = FleetOptions.DefaultRemote;
    public string? RemotePublic { get; init; }
    /// <summary>--remote-tls-cert: TLS (mutual) between agents and with clients; null: plain TCP.</summary>
    public string? RemoteTlsCert { get; init; }
    public IReadOnlyList<ClusterEndpoint> SeedNodes { get; init; } = [];
    /// <summary>--remote-transport; null: direct for plain TCP (TLS: DotNetty).</summary>
    public RemoteTransport? RemoteTransport { get; init; }
    public ExitAccountingMode ExitAccounting { get; init; } = ExitAccountingMode.Auto;
}

public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Parses Go-style flags: -name value, -name=value, --name value, --name=value; a bare boolean flag means true.
/// </summary>
public static class CommandLine
{
    private sealed record Flag(string Help, bool IsBool, Func<AgentOptions, string, AgentOptions> Apply);

    private static readonly Dictionary<string, Flag> Flags = new(StringComparer.Ordinal)
    {
        ["procfs"] = new("path to read proc data from (default \"/proc\")", false, (o, v) => o with { Procfs = v }),
        ["config.path"] = new("path to YAML config file", false, (o, v) => o with { ConfigPath = v }),
        ["procnames"] = new("comma-separated list of process names to monitor", false, (o, v) => o with { ProcNames = v }),
        ["namemapping"] = new("comma-separated list, alternating process name and capturing regex to apply to cmdline", false, (o, v) => o with { NameMapping = v }),
        ["children"] = new("if a proc is tracked, track with it any children that aren't part of their own group (default true)", true, (o, v) => o with { Children = Bool("children", v) }),
        ["threads"] = new("report on per-threadname metrics as well (default true)", true, (o, v) => o with { Threads = Bool("threads", v) }),
        ["gather-smaps"] = new("gather metrics from smaps file, which contains proportional resident memory size (default true)", true, (o, v) => o with { GatherSmaps = Bool("gather-smaps", v) }),
        ["recheck"] = new("recheck process names on each scrape", true, (o, v) => o with { Recheck = Bool("recheck", v) }),
        ["recheck-with-time-limit"] = new("recheck processes only this much time after their start, but no longer", false, (o, v) => o with { RecheckWithTimeLimit = Duration("recheck-with-time-limit", v) }),
        ["remove-empty-groups"] = new("forget process groups with no processes", true, (o, v) => o with { RemoveEmptyGroups = Bool("remove-empty-groups", v) }),
        ["once-to-stdout-delay"] = new("don't bind, just wait this much time, print the metrics once to stdout, and exit", false, (o, v) => o with { OnceToStdoutDelay = Duration("once-to-stdout-delay", v) }),
        ["web.listen-address"] = new("Address on which to expose metrics and web interface. (default \":9256\")", false, (o, v) => o with { ListenAddress = v }),
        ["web.telemetry-path"] = new("Path under which to expose metrics. (default \"/metrics\")", false, (o, v) => o with { TelemetryPath = v }),
        ["debug"] = new("log debugging information to stdout", true, (o, v) => o with { Debug = Bool("debug", v) }),
        ["version"] = new("print version information and exit", true, (o, v) => o with { Version = Bool("version", v) }),
        ["help"] = new("print this help and exit", true, (o, v) => o with { Help = Bool("help", v) }),
        ["h"] = new("print this help and exit", true, (o, v) => o with { Help = Bool("h", v) }),
        ["scan-interval"] = new("time between scans of the process table (default 5s)", false, (o, v) => o with { ScanInterval = Positive("scan-interval", Duration("scan-interval", v)) }),
        ["persistence"] = new("where counters survive restarts: sqlite:<path> (default: $STATE_DIRECTORY or ./data, procactors.db), postgres:<connection string>, or none", false, (o, v) => o with { Persistence = PersistenceOption.Parse(v) }),
        ["snapshot-load-timeout"] = new("how long the first scan waits for the saved counters; past it the agent counts from zero and merges them when the store answers (default 10s)", false, (o, v) => o with { SnapshotLoadTimeout = Positive("snapshot-load-timeout", Duration("snapshot-load-timeout", v)) }),
        ["snapshot-every"] = new("save the counters every this many scan cycles, and at shutdown (default 12)", false, (o, v) => o with { SnapshotEvery = PositiveInt("snapshot-every", v) }),
        ["adaptive-reads"] = new("read smaps_rollup, limits and wchan only when they may have changed, and status, io and fd/ of a process that has not run only every -idle-every scans; false reads every file every scan (default true)", true, (o, v) => o with { AdaptiveReads = Bool("adaptive-reads", v) }),
        ["smaps-every"] = new("with adaptive reads, re-read a process's smaps_rollup when its resident, virtual or swapped size changed, and at least every this many scans (default 12)", false, (o, v) => o with { SmapsEvery = PositiveInt("smaps-every", v) }),
        ["limits-every"] = new("with adaptive reads, re-read a process's limits every this many scans (default 12)", false, (o, v) => o with { LimitsEvery = PositiveInt("limits-every", v) }),
        ["idle-every"] = new("with adaptive reads, a single-threaded process whose CPU time (schedstat) has not moved keeps its status, io and fd count; re-read them at least every this many scans (default 12)", false, (o, v) => o with { IdleEvery = PositiveInt("idle-every", v) }),
        ["read-timeout"] = new("deadline of one read of /proc; a process whose read hangs longer (D state) is skipped until that read returns, and counted; 0 turns the bound off (default 2s)", false, (o, v) => o with { ReadTimeout = Duration("read-timeout", v) }),
        ["max-stuck-reads"] = new("hung reads left behind on their threads at most; beyond, a further hung read stalls the scan until one returns (default 4)", false, (o, v) => o with { MaxStuckReads = PositiveInt("max-stuck-reads", v) }),
        ["exit-accounting"] = new("count processes that exit between two scans: auto (taskstats when permitted, else children), taskstats, children or off (default auto)", false, (o, v) => o with { ExitAccounting = ExitMode(v) }),
        ["node-name"] = new("name of this node in query answers (default: the host name)", false, (o, v) => o with { NodeName = v }),
        ["web.config.file"] = new("path to a web configuration file (exporter-toolkit format) enabling TLS and/or basic authentication", false, (o, v) => o with { WebConfigFile = v }),
        ["web.enable-lifecycle"] = new("enable POST /-/reload to re-read -config.path (SIGHUP always does)", true, (o, v) => o with { WebEnableLifecycle = Bool("web.enable-lifecycle", v) }),
        ["redact-cmdline"] = new("hide command-line arguments (all but the program) in the Ask API, the page and name templates", true, (o, v) => o with { RedactCmdline = Bool("redact-cmdline", v) }),
        ["remote"] = new("HOST:PORT where this agent listens for the cluster, the CLI and clients, or none (default 127.0.0.1:4053: loopback only)", false,
            (o, v) => o with { Remote = v == "none" ? null : Address("remote", v)[0] }),
        ["remote-tls-cert"] = new("require TLS between agents (and from clients): the fleet's certificate with its key, PKCS#12 (password in $PROCACTORS_REMOTE_TLS_PASSWORD) or PEM; peers must present the same certificate or one the machine trusts", false, (o, v) => o with { RemoteTlsCert = v }),
        ["remote-transport"] = new("what carries plain-TCP remoting: direct (one I/O thread, writes on the sender's thread: fewer thread wake-ups per message) or dotnetty (Akka's own); both speak the same frames, so agents with either join one cluster; TLS (--remote-tls-cert) always uses dotnetty (default direct)", false,
            (o, v) => o with { RemoteTransport = Transport(v) }),
        ["remote-public"] = new("host name the other agents reach this one by, when it differs from --remote's (NAT, containers)", false, (o, v) => o with { RemotePublic = v }),
        ["seed-nodes"] = new("HOST:PORT[,HOST:PORT...] (or akka.tcp://procactors@HOST:PORT) of agents to join; none: a cluster of one", false,
            (o, v) => o with { SeedNodes = Address("seed-nodes", v) }),
    };

    public static AgentOptions Parse(IReadOnlyList<string> args)
    {
        var options = new AgentOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-') || arg is "-" or "--")
                throw new UsageException($"unexpected argument \"{arg}\": flags start with - or --");
            var body = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg[1..];
            string? value = null;
            var equals = body.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = body[(equals + 1)..];
                body = body[..equals];
            }
            if (!Flags.TryGetValue(body, out var flag))
                throw new UsageException($"flag provided but not defined: -{body}");
            if (value is null)
            {
                if (flag.IsBool) value = "true";
                else if (i + 1 < args.Count) value = args[++i];
                else throw new UsageException($"flag needs an argument: -{body}");
            }
            options = flag.Apply(options, value);
        }
        return options;
    }

    public static string Usage() =>
        "Usage of procactors:\n" + string.Concat(Flags.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"  -{f.Key}\n    \t{f.Value.Help}\n"));

    private static bool Bool(string name, string value) =>
        value.ToLowerInvariant() switch
        {
            "1" or "t" or "true" => true,
            "0" or "f" or "false" => false,
            _ => throw new UsageException($"invalid boolean value \"{value}\" for -{name}"),
        };

    private static IReadOnlyList<ClusterEndpoint> Address(string name, string value)
    {
        try
        {
            var endpoints = ClusterEndpoint.ParseList(value);
            return endpoints.Count > 0 ? endpoints : throw new FormatException("no address given");
        }
        catch (FormatException ex)
        {
            throw new UsageException($"invalid value \"{value}\" for -{name}: {ex.Message}");
        }
    }

    private static RemoteTransport Transport(string value) =>
        value switch
        {
            "direct" => Fleet.RemoteTransport.Direct,
            "dotnetty" => Fleet.RemoteTransport.DotNetty,
            _ => throw new UsageException($"invalid value \"{value}\" for -remote-transport: direct or dotnetty"),
        };

    private static ExitAccountingMode ExitMode(string value) =>
        value switch
        {
            "auto" => ExitAccountingMode.Auto,
            "taskstats" => ExitAccountingMode.Taskstats,
            "children" => ExitAccountingMode.Children,
            "off" => ExitAccountingMode.Off,
            _ => throw new UsageException($"invalid value \"{value}\" for -exit-accounting: auto, taskstats, children or off"),
        };

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new UsageException($"invalid value \"{value}\" for -{name}: must be a positive whole number");

    private static TimeSpan Positive(string name, TimeSpan value) =>
        value > TimeSpan.Zero ? value : throw new UsageException($"invalid value \"{value}\" for -{name}: must be positive");

    /// <summary>Go durations: a sequence of number+unit ("1.5s", "1m30s", "300ms"); "0" alone is zero.</summary>
    public static TimeSpan Duration(string name, string value)
    {
        if (value == "0") return TimeSpan.Zero;
        var rest = value.AsSpan();
        var total = 0.0;
        if (rest.IsEmpty) throw Invalid();
        while (!rest.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < rest.Length && (char.IsAsciiDigit(rest[numberLength]) || rest[numberLength] == '.')) numberLength++;
            var unitLength = 0;
            while (numberLength + unitLength < rest.Length && char.IsAsciiLetter(rest[numberLength + unitLength]) || (numberLength + unitLength < rest.Length && rest[numberLength + unitLength] == 'µ')) unitLength++;
            if (numberLength == 0 || unitLength == 0 ||
                !double.TryParse(rest[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                throw Invalid();
            var unit = rest.Slice(numberLength, unitLength);
            total += unit switch
            {
                "ns" => number / 1e6,
                "us" or "µs" => number / 1e3,
                "ms" => number,
                "s" => number * 1e3,
                "m" => number * 60e3,
                "h" => number * 3600e3,
                _ => throw Invalid(),
            };
            rest = rest[(numberLength + unitLength)..];
        }
        return TimeSpan.FromMilliseconds(total);

        UsageException Invalid() => new($"invalid duration \"{value}\" for -{name} (examples: 5s, 1m30s, 500ms)");
    }
}
