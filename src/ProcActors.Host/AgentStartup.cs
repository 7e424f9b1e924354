using System.Globalization;
using ProcActors.Fleet;
using ProcActors.Protocol;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Host;

/// <summary>Everything the agent needs before it serves, checked up front.</summary>
public sealed record PreparedAgent(AgentOptions Options, IProcNamer Namer, WebConfig? Web);

/// <summary>
/// Turns the command line into a runnable agent or one line naming the problem and where it is (the flag, or the
/// file, line and field) with exit code 2, the usage-error code of Go's flag package. Nothing fails later, on the
/// first scan or the first request, for a reason that could have been seen here.
/// </summary>
public static class AgentStartup
{
    public const int UsageExitCode = 2;

    /// <exception cref="UsageException">A flag is invalid.</exception>
    /// <exception cref="ConfigException">The grouping configuration is invalid.</exception>
    /// <exception cref="WebConfigException">The web configuration is invalid.</exception>
    public static PreparedAgent Prepare(IReadOnlyList<string> args)
    {
        var options = CommandLine.Parse(args);
        if (options.Help || options.Version) return new PreparedAgent(options, null!, null);
        Validate(options);
        var namer = AgentComposition.CreateNamer(options);
        var web = options.WebConfigFile is { } path ? WebConfig.Load(path) : null;
        if (options.WebEnableLifecycle && options.ConfigPath is null)
            throw new UsageException("-web.enable-lifecycle: reload re-reads -config.path, which is not set");
        // The store is not touched here: a locked or unreachable one must not keep the agent from monitoring (it
        // loads the saved counters when it can and merges them with what it counted meanwhile).
        return new PreparedAgent(options, namer, web);
    }

    /// <summary>Prepare, with any problem as one line on the writer; null when the agent can run, else the exit code.</summary>
    public static int? TryPrepare(IReadOnlyList<string> args, TextWriter error, out PreparedAgent? agent)
    {
        agent = null;
        try
        {
            agent = Prepare(args);
            return null;
        }
        catch (Exception ex) when (ex is UsageException or ConfigException or WebConfigException)
        {
            error.WriteLine($"procactors: {ex.Message.ReplaceLineEndings(" ")}");
            return UsageExitCode;
        }
    }

    private static void Validate(AgentOptions options)
    {
        if (!Directory.Exists(options.Procfs)) throw new UsageException($"-procfs: \"{options.Procfs}\" is not a directory");
        ValidateListenAddress(options.ListenAddress);
        var path = options.TelemetryPath;
        if (!path.StartsWith('/') || path == "/" || path.StartsWith("/-/", StringComparison.Ordinal) || path.Any(char.IsWhiteSpace))
            throw new UsageException($"-web.telemetry-path: \"{path}\" must be a path starting with / other than / and /-/...");
        if (options.NodeName is { } node && (node.Length == 0 || node.Any(char.IsControl)))
            throw new UsageException("-node-name: must be non-empty and printable");
        if (options.WebConfigFile is "") throw new UsageException("-web.config.file: empty path");
        if (options.RemoteTransport is not null && options.Remote is null) throw new UsageException("-remote-transport: remoting is off (--remote none)");
        if (options.RemoteTransport == RemoteTransport.Direct && options.RemoteTlsCert is not null)
            throw new UsageException("-remote-transport direct has no TLS: with -remote-tls-cert the dotnetty transport carries it (leave -remote-transport out)");
        if (options.RemoteTlsCert is { } cert)
        {
            if (options.Remote is null) throw new UsageException("-remote-tls-cert: remoting is off (--remote none)");
            try
            {
                RemoteTls.Load(cert);
            }
            catch (RemoteTlsException ex)
            {
                throw new UsageException($"-remote-tls-cert: {ex.Message}");
            }
        }
    }

    /// <summary>Go's host:port with an optional host (":9256", "127.0.0.1:9256", "[::1]:9256", "localhost:9256").</summary>
    private static void ValidateListenAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        var host = colon < 0 ? address : address[..colon];
        var port = colon < 0 ? string.Empty : address[(colon + 1)..];
        if (colon < 0 || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > 65535)
            throw new UsageException($"-web.listen-address: \"{address}\" is not host:port with a port of 0-65535 (examples: :9256, 127.0.0.1:9256)");
        var bracketed = host.StartsWith('[') && host.EndsWith(']');
        if (host.Contains(':', StringComparison.Ordinal) && !bracketed || host.Any(c => char.IsWhiteSpace(c) || c == '/'))
            throw new UsageException($"-web.listen-address: \"{address}\": invalid host \"{host}\" (IPv6 addresses go in brackets: [::1]:9256)");
    }
}
