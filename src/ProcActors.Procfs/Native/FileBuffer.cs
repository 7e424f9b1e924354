namespace ProcActors.Procfs.Native;

/// <summary>Reads whole small files (all of /proc's are) into one reused, growing buffer.</summary>
internal sealed class FileBuffer
{
    /// <summary>cmdline may be as long as the argument space allows; more than this is cut.</summary>
    private const int MaxSize = 4 * 1024 * 1024;
    private byte[] _buffer = new byte[8192];

    /// <summary>Reads the file. Returns 0 and the content, or -errno.</summary>
    public int Read(ReadOnlySpan<byte> path, out ReadOnlySpan<byte> content)
    {
        content = default;
        var fd = LibC.OpenRead(path);
        if (fd < 0) return fd;
        try
        {
            var length = 0;
            while (true)
            {
                if (length == _buffer.Length)
                {
                    if (_buffer.Length >= MaxSize) break;
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }
                var n = LibC.ReadInto(fd, _buffer.AsSpan(length));
                if (n < 0) return n;
                if (n == 0) break;
                length += n;
            }
            content = _buffer.AsSpan(0, length);
            return 0;
        }
        finally
        {
            LibC.CloseFd(fd);
        }
    }

    /// <summary>Reads a link target. Returns 0 and the target, or -errno.</summary>
    public int ReadLink(ReadOnlySpan<byte> path, out ReadOnlySpan<byte> target)
    {
        var n = LibC.ReadLinkInto(path, _buffer);
        target = n >= 0 ? _buffer.AsSpan(0, n) : default;
        return n >= 0 ? 0 : n;
    }

    /// <summary>Counts the entries of a directory other than "." and "..". Returns the count, or -errno.</summary>
    public static int CountEntries(ReadOnlySpan<byte> path)
    {
        var dir = LibC.OpenDirectory(path, out var errno);
        if (dir == 0) return -errno;
        try
        {
            var count = 0;
            while (LibC.NextEntry(dir, out var name, out _))
            {
                if (!IsDotOrDotDot(name)) count++;
            }
            return count;
        }
        finally
        {
            LibC.CloseDirectory(dir);
        }
    }

    /// <summary>Adds the numeric entries of a directory (pids, tids) to the list. Returns 0, or -errno.</summary>
    public static int ListNumericEntries(ReadOnlySpan<byte> path, List<int> into)
    {
        var dir = LibC.OpenDirectory(path, out var errno);
        if (dir == 0) return -errno;
        try
        {
            while (LibC.NextEntry(dir, out var name, out _))
            {
                if (TryParsePositive(name, out var id)) into.Add(id);
            }
            return 0;
        }
        finally
        {
            LibC.CloseDirectory(dir);
        }
    }

    private static bool IsDotOrDotDot(ReadOnlySpan<byte> name) =>
        name.Length switch
        {
            1 => name[0] == (byte)'.',
            2 => name[0] == (byte)'.' && name[1] == (byte)'.',
            _ => false,
        };

    private static bool TryParsePositive(ReadOnlySpan<byte> name, out int value)
    {
        value = 0;
        if (name.IsEmpty || name.Length > 9) return false;
        foreach (var b in name)
        {
            var digit = b - (byte)'0';
            if ((uint)digit > 9) return false;
            value = value * 10 + digit;
        }
        return value > 0;
    }
}
