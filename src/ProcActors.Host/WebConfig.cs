using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Authentication;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ProcActors.Host;

/// <summary>A -web.config.file that cannot be used: one line naming the file, line and field.</summary>
public sealed class WebConfigException(string message) : Exception(message.ReplaceLineEndings(" "));

/// <summary>exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType names).</summary>
public enum ClientAuth
{
    NoClientCert,
    RequestClientCert,
    RequireAnyClientCert,
    VerifyClientCertIfGiven,
    RequireAndVerifyClientCert,
}

public sealed record TlsServerConfig(
    X509Certificate2 Certificate,
    ClientAuth ClientAuth,
    X509Certificate2Collection? ClientCas,
    SslProtocols Protocols);

/// <summary>
/// The web configuration file of Prometheus exporters (exporter-toolkit's format, as process-exporter and
/// node_exporter read it): tls_server_config and basic_auth_users. Keys exporter-toolkit knows but we do not
/// implement are refused rather than silently ignored: an operator must never believe a protection is on when it is not.
/// </summary>
public sealed record WebConfig(TlsServerConfig? Tls, IReadOnlyDictionary<string, string> BasicAuthUsers)
{
    private static readonly string[] TlsKeys = ["cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version", "max_version"];

    public static WebConfig Load(string path)
    {
        string yaml;
        try
        {
            yaml = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WebConfigException($"{path}: cannot read the web configuration file: {e.Message}");
        }
        return Parse(yaml, path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <param name="baseDirectory">Relative certificate paths are taken from the configuration file's folder, as exporter-toolkit does.</param>
    public static WebConfig Parse(string yaml, string source, string baseDirectory)
    {
        var stream = new YamlStream();
        try
        {
            Screen(yaml, source);
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new WebConfigException($"{source}:{e.Start.Line}: invalid YAML: {e.Message[(e.Message.IndexOf("): ", StringComparison.Ordinal) + 3)..]}");
        }
        if (stream.Documents.Count == 0) return new WebConfig(null, new Dictionary<string, string>());
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw Error(source, stream.Documents[0].RootNode, "(top level)", "expected a mapping of tls_server_config, basic_auth_users");

        TlsServerConfig? tls = null;
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in root.Children)
        {
            var key = Scalar(source, keyNode, "(top level)");
            switch (key)
            {
                case "tls_server_config":
                    tls = ReadTls(source, baseDirectory, value);
                    break;
                case "basic_auth_users":
                    ReadUsers(source, value, users);
                    break;
                case "http_server_config" or "rate_limit":
                    throw Error(source, keyNode, key, "not supported by procactors; remove it");
                default:
                    throw Error(source, keyNode, key, "unknown key; known: tls_server_config, basic_auth_users");
            }
        }
        return new WebConfig(tls, users);
    }

    private static TlsServerConfig? ReadTls(string source, string baseDirectory, YamlNode node)
    {
        if (node is YamlScalarNode { Value: null or "" or "~" or "null" }) return null;
        if (node is not YamlMappingNode mapping) throw Error(source, node, "tls_server_config", "expected a mapping");
        var fields = new Dictionary<string, (YamlNode Node, string Value)>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            var name = Scalar(source, keyNode, "tls_server_config");
            if (!TlsKeys.Contains(name))
                throw Error(source, keyNode, $"tls_server_config.{name}", $"unknown or unsupported key; supported: {string.Join(", ", TlsKeys)}");
            fields[name] = (value, Scalar(source, value, $"tls_server_config.{name}"));
        }

        if (!fields.TryGetValue("cert_file", out var cert) || cert.Value.Length == 0)
            throw Error(source, mapping, "tls_server_config.cert_file", "missing; TLS needs cert_file and key_file");
        if (!fields.TryGetValue("key_file", out var key) || key.Value.Length == 0)
            throw Error(source, mapping, "tls_server_config.key_file", "missing; TLS needs cert_file and key_file");
        var requested = ClientAuth.NoClientCert;
        var explicitType = fields.TryGetValue("client_auth_type", out var type) && type.Value.Length > 0;
        if (explicitType && (!Enum.GetNames<ClientAuth>().Contains(type.Value) || !Enum.TryParse(type.Value, ignoreCase: false, out requested)))
            throw Error(source, type.Node, "tls_server_config.client_auth_type", $"invalid value \"{type.Value}\"; use one of {string.Join(", ", Enum.GetNames<ClientAuth>())}");
        var min = Version(source, fields, "min_version", SslProtocols.Tls12);
        var max = Version(source, fields, "max_version", SslProtocols.Tls13);
        if (min > max) throw Error(source, fields["min_version"].Node, "tls_server_config.min_version", "is above max_version");

        X509Certificate2 certificate;
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(Resolve(baseDirectory, cert.Value), Resolve(baseDirectory, key.Value));
            // Kestrel on Linux needs the key in a persisted form; a PEM-loaded key is ephemeral.
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw Error(source, cert.Node, "tls_server_config.cert_file", $"cannot load \"{cert.Value}\" with key \"{key.Value}\": {e.Message}");
        }

        X509Certificate2Collection? cas = null;
        if (fields.TryGetValue("client_ca_file", out var ca) && ca.Value.Length > 0)
        {
            cas = [];
            try
            {
                cas.ImportFromPemFile(Resolve(baseDirectory, ca.Value));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw Error(source, ca.Node, "tls_server_config.client_ca_file", $"cannot load \"{ca.Value}\": {e.Message}");
            }
            if (cas.Count == 0) throw Error(source, ca.Node, "tls_server_config.client_ca_file", $"\"{ca.Value}\" holds no PEM certificate");
        }

        // As in exporter-toolkit: a client CA without an explicit type means clients must present a certificate it signed.
        var auth = explicitType ? requested : cas is null ? ClientAuth.NoClientCert : ClientAuth.RequireAndVerifyClientCert;
        if (auth is ClientAuth.VerifyClientCertIfGiven or ClientAuth.RequireAndVerifyClientCert && cas is null)
            throw Error(source, explicitType ? type.Node : mapping, "tls_server_config.client_ca_file", $"missing; client_auth_type {auth} verifies client certificates against it");

        var protocols = SslProtocols.None;
        foreach (var p in new[] { SslProtocols.Tls12, SslProtocols.Tls13 })
        {
            if (p >= min && p <= max) protocols |= p;
        }
        return new TlsServerConfig(certificate, auth, cas, protocols);
    }

    /// <summary>Only TLS 1.2 and 1.3: .NET on Linux refuses older versions anyway, so accepting them here would be a lie.</summary>
    private static SslProtocols Version(string source, Dictionary<string, (YamlNode Node, string Value)> fields, string key, SslProtocols fallback)
    {
        if (!fields.TryGetValue(key, out var field) || field.Value.Length == 0) return fallback;
        return field.Value switch
        {
            "TLS12" => SslProtocols.Tls12,
            "TLS13" => SslProtocols.Tls13,
            _ => throw Error(source, field.Node, $"tls_server_config.{key}", $"invalid value \"{field.Value}\"; use TLS12 or TLS13"),
        };
    }

    private static void ReadUsers(string source, YamlNode node, Dictionary<string, string> users)
    {
        if (node is YamlScalarNode { Value: null or "" or "~" or "null" }) return;
        if (node is not YamlMappingNode mapping) throw Error(source, node, "basic_auth_users", "expected a mapping of user names to bcrypt hashes");
        foreach (var (keyNode, value) in mapping.Children)
        {
            var user = Scalar(source, keyNode, "basic_auth_users");
            var field = $"basic_auth_users.{user}";
            if (user.Length == 0 || user.Contains(':', StringComparison.Ordinal))
                throw Error(source, keyNode, field, "a user name must be non-empty and contain no ':'");
            var hash = Scalar(source, value, field);
            if (!BasicAuth.IsBcryptHash(hash))
                throw Error(source, value, field, "not a bcrypt hash (expected $2a$, $2b$ or $2y$, cost 04-31, 53 characters; generate one with htpasswd -nBC 10 \"\" | tr -d ':')");
            if (!users.TryAdd(user, hash)) throw Error(source, keyNode, field, "user listed twice");
        }
    }

    /// <summary>
    /// YamlDotNet builds its tree recursively: an alias or absurd nesting could overflow the stack, which no catch
    /// survives. A web configuration needs neither; its event stream is checked first, iteratively.
    /// </summary>
    private static void Screen(string yaml, string source)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.AnchorAlias alias:
                    throw new WebConfigException($"{source}:{alias.Start.Line}: aliases (*name) are not allowed in a web configuration");
                case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart when ++depth > 8:
                    throw new WebConfigException($"{source}:{parser.Current.Start.Line}: nested too deeply for a web configuration");
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    private static string Resolve(string baseDirectory, string path) => Path.IsPathRooted(path) ? path : Path.Combine(baseDirectory, path);

    private static string Scalar(string source, YamlNode node, string field) =>
        node is YamlScalarNode scalar ? scalar.Value ?? string.Empty : throw Error(source, node, field, "expected a single value");

    private static WebConfigException Error(string source, YamlNode node, string field, string problem) =>
        new($"{source}:{node.Start.Line}: {field}: {problem}");
}
