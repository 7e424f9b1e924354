using System.Buffers;
using System.Text;

namespace ProcActors.Procfs;

/// <summary>
/// Interns the strings a scan sees again and again (thread names, wchan symbols; with a second pool the arguments,
/// cgroup paths and executables of new processes) so that a steady scan allocates none and a thousand processes of
/// one command share its strings. Invalid UTF-8 becomes U+FFFD: a process may name itself with any bytes, a label
/// may not.
/// </summary>
/// <remarks>
/// Bounded: at most <c>capacity</c> strings of at most <c>maxPooledLength</c> characters and <c>maxPooledChars</c>
/// characters in all; longer texts are decoded and not kept. When full, the pool either keeps what it has (names
/// repeat forever) or, with <c>renewWhenFull</c>, starts over (so that a stream of unique arguments from short-lived
/// processes does not fill it for good with strings nobody holds any more). Not thread-safe: one reader, one thread.
/// </remarks>
public sealed class StringPool(int capacity = 16_384, int maxPooledLength = 256, long maxPooledChars = 1 << 20, bool renewWhenFull = false)
{
    private const int StackChars = 256;
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private long _chars;

    public int Count => _strings.Count;

    /// <summary>Characters held by the pooled strings.</summary>
    public long Chars => _chars;

    /// <summary>How many times a full pool started over.</summary>
    public long Renewals { get; private set; }

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) return string.Empty;
        // UTF-8 never decodes to more UTF-16 units than it has bytes (each invalid byte becomes one U+FFFD).
        if (utf8.Length > maxPooledLength) return Encoding.UTF8.GetString(utf8);
        if (utf8.Length <= StackChars)
        {
            Span<char> chars = stackalloc char[StackChars];
            return Pooled(chars[..Encoding.UTF8.GetChars(utf8, chars)]);
        }
        var rented = ArrayPool<char>.Shared.Rent(utf8.Length);
        try
        {
            return Pooled(rented.AsSpan(0, Encoding.UTF8.GetChars(utf8, rented)));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private string Pooled(ReadOnlySpan<char> text)
    {
        var lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(text, out var pooled)) return pooled;
        var created = text.ToString();
        if (_strings.Count >= capacity || _chars + created.Length > maxPooledChars)
        {
            if (!renewWhenFull || created.Length > maxPooledChars) return created;
            _strings.Clear();
            _chars = 0;
            Renewals++;
        }
        _strings.Add(created, created);
        _chars += created.Length;
        return created;
    }
}
