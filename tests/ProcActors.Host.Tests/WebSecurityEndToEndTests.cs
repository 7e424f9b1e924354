using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ProcActors.Testing;

namespace ProcActors.Host.Tests;

/// <summary>
/// The built agent with a -web.config.file (exporter-toolkit format), asked by a real HTTPS client: TLS with a
/// certificate from a CA the test makes, bcrypt basic auth on every endpoint, a wrong password, no password, a plain-HTTP
/// attempt, and client certificates required and verified against a client CA.
/// </summary>
public sealed class WebSecurityEndToEndTests : IDisposable
{
    private const string User = "prometheus";
    private const string Password = "correct horse battery staple";
    private readonly string _dir = Directory.CreateTempSubdirectory("procactors-web-").FullName;
    private readonly FixtureTree _tree = new();
    private readonly X509Certificate2 _ca;
    private readonly X509Certificate2 _clientCert;
    private readonly X509Certificate2 _strangerCert;

    public WebSecurityEndToEndTests()
    {
        _tree.AddProcess(100, "web", starttime: 5_000, utime: 10);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=procactors test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        _ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(2));
        File.WriteAllText(Path.Combine(_dir, "ca.pem"), _ca.ExportCertificatePem());

        var server = Issue("CN=localhost", _ca, serverAuth: true);
        File.WriteAllText(Path.Combine(_dir, "server.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, "server.key"), server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        _clientCert = Issue("CN=scraper", _ca, serverAuth: false);
        using var strangerKey = RSA.Create(2048);
        _strangerCert = new CertificateRequest("CN=stranger", strangerKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    public void Dispose()
    {
        _tree.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Tls_and_basic_auth_guard_every_endpoint()
    {
        var hash = BCrypt.Net.BCrypt.HashPassword(Password, workFactor: 6);
        await using var agent = await StartAsync($"""
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
            basic_auth_users:
              {User}: {hash}
            """);
        using var http = Client(clientCertificate: null);

        foreach (var path in new[] { "/metrics", "/" })
        {
            using var ok = await SendAsync(http, agent.Port, path, User, Password);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            using var wrong = await SendAsync(http, agent.Port, path, User, "wrong");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal("Basic", wrong.Headers.WwwAuthenticate.Single().Scheme);
            using var unknown = await SendAsync(http, agent.Port, path, "someone", Password);
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
            using var none = await SendAsync(http, agent.Port, path, null, null);
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.DoesNotContain("namedprocess", await none.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        using var metrics = await SendAsync(http, agent.Port, "/metrics", User, Password);
        Assert.Contains("namedprocess_namegroup_num_procs", await metrics.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        // Plain HTTP to the TLS port: no answer with data, whatever the failure looks like.
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var attempt = await Record.ExceptionAsync(async () =>
        {
            using var response = await plain.GetAsync(new Uri($"http://127.0.0.1:{agent.Port}/metrics"), TestContext.Current.CancellationToken);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain("namedprocess", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        });
        Assert.True(attempt is null or HttpRequestException, $"plain HTTP: {attempt}");
        Assert.True(agent.IsRunning, agent.Output);
    }

    [Fact]
    public async Task A_client_ca_requires_a_client_certificate_it_signed()
    {
        await using var agent = await StartAsync("""
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_ca_file: ca.pem
            """, _clientCert);

        using (var signed = Client(_clientCert))
        using (var response = await SendAsync(signed, agent.Port, "/metrics", null, null))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var without = Client(clientCertificate: null))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(without, agent.Port, "/metrics", null, null));
        }
        using (var stranger = Client(_strangerCert))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(stranger, agent.Port, "/metrics", null, null));
        }
        Assert.True(agent.IsRunning, agent.Output);
    }

    private async Task<TlsAgent> StartAsync(string webConfig, X509Certificate2? clientCertificate = null)
    {
        var path = Path.Combine(_dir, "web.yml");
        await File.WriteAllTextAsync(path, webConfig, TestContext.Current.CancellationToken);
        var port = ServedProcess.FreePort();
        var agent = new TlsAgent(AgentProcess.StartInfo(["-procfs", _tree.Root, "--persistence", "none", "--scan-interval", "200ms",
            "-web.config.file", path, "-web.listen-address", $"127.0.0.1:{port}"]), port);
        try
        {
            using var http = Client(clientCertificate);
            var clock = Stopwatch.StartNew();
            while (true)
            {
                Assert.True(agent.IsRunning, agent.Output);
                try
                {
                    using var response = await SendAsync(http, port, "/", null, null);
                    return agent;
                }
                catch (HttpRequestException) when (clock.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(100, TestContext.Current.CancellationToken);
                }
            }
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    /// <summary>An HTTPS client that trusts only the test CA for the server (not the machine's store).</summary>
    private HttpClient Client(X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            if (certificate is null) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        if (clientCertificate is not null) handler.SslOptions.ClientCertificates = [clientCertificate];
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, int port, string path, string? user, string? password)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"https://127.0.0.1:{port}{path}"));
        if (user is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static X509Certificate2 Issue(string subject, X509Certificate2 ca, bool serverAuth)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        return X509CertificateLoader.LoadPkcs12(issued.CopyWithPrivateKey(key).Export(X509ContentType.Pkcs12), null);
    }

    private sealed class TlsAgent(ProcessStartInfo info, int port) : ServedProcess(info, port);
}
