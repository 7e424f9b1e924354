using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ProcActors.Host;

/// <summary>
/// Checks HTTP basic credentials against bcrypt hashes. bcrypt costs tens of milliseconds on purpose, and Prometheus
/// scrapes with the same credentials every interval: a successful check is remembered (by a SHA-256 of the pair, never
/// the password itself) so that a scrape costs one bcrypt per process lifetime, not one per request.
/// </summary>
public sealed partial class BasicAuth(IReadOnlyDictionary<string, string> users)
{
    private const int MaxRemembered = 1024;

    // Compared against when the user is unknown, so that a wrong user name takes as long as a wrong password.
    private static readonly string DecoyHash = BCrypt.Net.BCrypt.HashPassword("decoy", workFactor: 10);

    private readonly ConcurrentDictionary<string, bool> _verified = new(StringComparer.Ordinal);

    public bool Enabled => users.Count > 0;

    public static bool IsBcryptHash(string text) => BcryptHash().IsMatch(text);

    /// <summary>True when the Authorization header carries a listed user and its password.</summary>
    public bool Accepts(string? authorization)
    {
        if (!Enabled) return true;
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        string pair;
        try
        {
            pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }
        var colon = pair.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return false;
        var (user, password) = (pair[..colon], pair[(colon + 1)..]);

        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(pair)));
        if (_verified.ContainsKey(key)) return true;
        var known = users.TryGetValue(user, out var hash);
        var ok = Verify(password, known ? hash! : DecoyHash) && known;
        if (ok && _verified.Count < MaxRemembered) _verified.TryAdd(key, true);
        return ok;
    }

    private static bool Verify(string password, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$")]
    private static partial Regex BcryptHash();
}
