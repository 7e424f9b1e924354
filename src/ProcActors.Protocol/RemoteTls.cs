using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace ProcActors.Protocol;

/// <summary>The certificate file could not be used for TLS between agents.</summary>
public sealed class RemoteTlsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// TLS on Akka.Remote between agents (and between a client and an agent): every connection is TLS with mutual
/// authentication, and a peer is accepted when it presents the same certificate as this end (one certificate for the
/// fleet, e.g. self-signed with openssl) or one whose chain the machine trusts (certificates issued by a CA in the
/// system store). A plain-TCP peer cannot associate at all. Both ends bind it: <see cref="Hocon"/> plus <see cref="Setup"/>.
/// </summary>
public sealed class RemoteTls
{
    /// <summary>The certificate file's password, read from the environment so that it is not on the command line.</summary>
    public const string PasswordVariable = "PROCACTORS_REMOTE_TLS_PASSWORD";

    /// <summary>Turns TLS on for the transport; the certificate and the peer check come from <see cref="Setup"/>.</summary>
    public const string Hocon = "akka.remote.dot-netty.tcp.enable-ssl = on";

    private RemoteTls(X509Certificate2 certificate, string path)
    {
        Certificate = certificate;
        Path = path;
    }

    public X509Certificate2 Certificate { get; }

    public string Path { get; }

    /// <summary>
    /// A PKCS#12 file (.p12/.pfx, the password from <see cref="PasswordVariable"/> when not given), or a PEM file with the
    /// certificate and its private key.
    /// </summary>
    public static RemoteTls Load(string path, string? password = null)
    {
        if (!File.Exists(path)) throw new RemoteTlsException($"\"{path}\" does not exist");
        try
        {
            var text = File.ReadAllText(path);
            var certificate = text.Contains("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPemFile(path, path)
                : X509CertificateLoader.LoadPkcs12FromFile(path, password ?? Environment.GetEnvironmentVariable(PasswordVariable));
            if (!certificate.HasPrivateKey) throw new RemoteTlsException($"\"{path}\" has no private key: TLS between agents needs the certificate and its key");
            return new RemoteTls(certificate, path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new RemoteTlsException($"\"{path}\" is not a usable certificate with its key (PKCS#12 with ${PasswordVariable}, or PEM certificate + key): {ex.Message}", ex);
        }
    }

    public DotNettySslSetup Setup() =>
        new(Certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false, Accept);

    /// <summary>The same certificate as ours, or a chain the machine trusts; host names are not checked (agents are reached by IP).</summary>
    private bool Accept(X509Certificate2? peer, X509Chain? chain, string host, SslPolicyErrors errors, ILoggingAdapter log)
    {
        if (peer is null)
        {
            log.Warning("TLS: {0} presented no certificate", host);
            return false;
        }
        if (peer.RawDataMemory.Span.SequenceEqual(Certificate.RawDataMemory.Span)) return true;
        if ((errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None) return true;
        log.Warning("TLS: refused {0}: certificate {1} ({2}) is neither this fleet's nor trusted ({3})", host, peer.Subject, peer.Thumbprint, errors);
        return false;
    }
}
