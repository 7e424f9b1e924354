using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace ProcActors.Host;

/// <summary>
/// Applies a -web.config.file to the web host: TLS on the listener, and basic authentication as the first middleware,
/// so that every endpoint (/, /metrics, /-/reload and any added later) is behind it without opting in.
/// </summary>
public static class WebSecurity
{
    public static string Scheme(WebConfig? config) => config?.Tls is null ? "http" : "https";

    public static void ConfigureTls(IWebHostBuilder web, TlsServerConfig? tls)
    {
        if (tls is null) return;
        // The slim builder leaves HTTPS out unless asked for.
        web.UseKestrelHttpsConfiguration();
        web.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ServerCertificate = tls.Certificate;
            https.SslProtocols = tls.Protocols;
            https.ClientCertificateMode = tls.ClientAuth switch
            {
                ClientAuth.NoClientCert => ClientCertificateMode.NoCertificate,
                ClientAuth.RequestClientCert or ClientAuth.VerifyClientCertIfGiven => ClientCertificateMode.AllowCertificate,
                _ => ClientCertificateMode.RequireCertificate,
            };
            https.ClientCertificateValidation = (certificate, _, _) => tls.ClientAuth switch
            {
                ClientAuth.VerifyClientCertIfGiven or ClientAuth.RequireAndVerifyClientCert => SignedByClientCa(certificate, tls.ClientCas!),
                _ => true,
            };
        }));
    }

    public static void UseBasicAuth(this WebApplication app, WebConfig? config)
    {
        if (config is null || config.BasicAuthUsers.Count == 0) return;
        var auth = new BasicAuth(config.BasicAuthUsers);
        app.Use(async (context, next) =>
        {
            if (auth.Accepts(context.Request.Headers.Authorization))
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic";
            await context.Response.WriteAsync("Unauthorized\n").ConfigureAwait(false);
        });
    }

    /// <summary>Only the configured CAs are trusted for client certificates, not the machine's store.</summary>
    private static bool SignedByClientCa(X509Certificate2 certificate, X509Certificate2Collection cas)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(cas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }
}
