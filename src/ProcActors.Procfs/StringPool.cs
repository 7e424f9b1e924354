using System.Text;

namespace ProcActors.Procfs;

/// <summary>
/// Interns the short strings a scan sees again and again (thread names, wchan symbols) so that a steady scan
/// allocates none. Invalid UTF-8 becomes U+FFFD: a process may name itself with any bytes, a label may not.
/// </summary>
public sealed class StringPool(int capacity = 16_384)
{
    private const int MaxPooledLength = 256;
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);

    public int Count => _strings.Count;

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) return string.Empty;
        if (utf8.Length > MaxPooledLength) return Encoding.UTF8.GetString(utf8);
        Span<char> chars = stackalloc char[MaxPooledLength];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        var text = chars[..length];
        var lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(text, out var pooled)) return pooled;
        var created = text.ToString();
        if (_strings.Count < capacity) _strings.Add(created, created);
        return created;
    }
}
