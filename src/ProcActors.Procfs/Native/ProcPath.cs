using System.Buffers.Text;
using System.Text;

namespace ProcActors.Procfs.Native;

/// <summary>Builds NUL-terminated UTF-8 paths under a procfs root in one reused buffer.</summary>
internal sealed class ProcPath
{
    private const int Capacity = 4096;
    private readonly byte[] _buffer = new byte[Capacity];
    private readonly int _rootLength;

    public ProcPath(string root)
    {
        var trimmed = root.Length > 1 ? root.TrimEnd('/') : root;
        _rootLength = Encoding.UTF8.GetBytes(trimmed, _buffer);
        if (_rootLength > Capacity - 256) throw new ArgumentException($"procfs root path is too long: {root}", nameof(root));
    }

    /// <summary>&lt;root&gt;/&lt;file&gt;</summary>
    public ReadOnlySpan<byte> Of(ReadOnlySpan<byte> file)
    {
        var length = _rootLength;
        Append(ref length, file);
        return Terminate(length);
    }

    /// <summary>&lt;root&gt;/&lt;pid&gt;/&lt;file&gt;, or the process directory itself when file is empty.</summary>
    public ReadOnlySpan<byte> Of(int pid, ReadOnlySpan<byte> file)
    {
        var length = _rootLength;
        AppendNumber(ref length, pid);
        if (!file.IsEmpty) Append(ref length, file);
        return Terminate(length);
    }

    /// <summary>&lt;root&gt;/&lt;pid&gt;/task/&lt;tid&gt;/&lt;file&gt;</summary>
    public ReadOnlySpan<byte> Of(int pid, int tid, ReadOnlySpan<byte> file)
    {
        var length = _rootLength;
        AppendNumber(ref length, pid);
        Append(ref length, "task"u8);
        AppendNumber(ref length, tid);
        Append(ref length, file);
        return Terminate(length);
    }

    private void Append(ref int length, ReadOnlySpan<byte> part)
    {
        _buffer[length++] = (byte)'/';
        part.CopyTo(_buffer.AsSpan(length));
        length += part.Length;
    }

    private void AppendNumber(ref int length, int value)
    {
        _buffer[length++] = (byte)'/';
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(length), out var written);
        length += written;
    }

    private ReadOnlySpan<byte> Terminate(int length)
    {
        _buffer[length] = 0;
        return _buffer.AsSpan(0, length + 1);
    }
}
