using System.Buffers.Text;

namespace ProcActors.Procfs.Parsing;

/// <summary>Allocation-free helpers shared by the /proc file parsers.</summary>
internal static class Fields
{
    /// <summary>Parses a whole span as an unsigned decimal number.</summary>
    public static bool TryUInt64(ReadOnlySpan<byte> text, out ulong value) =>
        Utf8Parser.TryParse(text, out value, out var consumed) && consumed == text.Length && text.Length > 0;

    /// <summary>Parses a whole span as a signed decimal number.</summary>
    public static bool TryInt64(ReadOnlySpan<byte> text, out long value) =>
        Utf8Parser.TryParse(text, out value, out var consumed) && consumed == text.Length && text.Length > 0;

    /// <summary>Returns the next space-separated token and advances past it; empty at the end.</summary>
    public static ReadOnlySpan<byte> NextToken(ref ReadOnlySpan<byte> rest)
    {
        var start = 0;
        while (start < rest.Length && IsBlank(rest[start])) start++;
        var end = start;
        while (end < rest.Length && !IsBlank(rest[end])) end++;
        var token = rest[start..end];
        rest = rest[end..];
        return token;
    }

    /// <summary>Returns the next line without its newline and advances past it.</summary>
    public static ReadOnlySpan<byte> NextLine(ref ReadOnlySpan<byte> rest)
    {
        var newline = rest.IndexOf((byte)'\n');
        ReadOnlySpan<byte> line;
        if (newline < 0)
        {
            line = rest;
            rest = default;
        }
        else
        {
            line = rest[..newline];
            rest = rest[(newline + 1)..];
        }
        return line;
    }

    /// <summary>The next "key: value" line, lines without a key skipped; false at the end.</summary>
    public static bool NextKeyValue(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        while (!rest.IsEmpty)
        {
            var line = NextLine(ref rest);
            var colon = line.IndexOf((byte)':');
            if (colon <= 0) continue;
            key = line[..colon];
            value = line[(colon + 1)..];
            return true;
        }
        key = value = default;
        return false;
    }

    /// <summary>Parses "  1234 kB" (the value part of a status or smaps line) into bytes.</summary>
    public static bool TryKilobytes(ReadOnlySpan<byte> value, out ulong bytes)
    {
        var rest = value;
        var number = NextToken(ref rest);
        var unit = NextToken(ref rest);
        if (!TryUInt64(number, out var kb) || (unit.Length != 0 && !unit.SequenceEqual("kB"u8)) || kb > ulong.MaxValue / 1024)
        {
            bytes = 0;
            return false;
        }
        bytes = kb * 1024;
        return true;
    }

    private static bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n';
}
