using ProcActors.Procfs.Parsing;

namespace ProcActors.Procfs;

public struct ProcIo
{
    public ulong ReadBytes;
    public ulong WriteBytes;
}

/// <summary>Parses /proc/[pid]/io. Only the storage-layer byte counts are used, as process-exporter does.</summary>
public static class IoParser
{
    public static bool TryParse(ReadOnlySpan<byte> content, out ProcIo io)
    {
        io = default;
        bool sawRead = false, sawWrite = false;
        var rest = content;
        while (Fields.NextKeyValue(ref rest, out var key, out var value))
        {
            value = value.Trim((byte)' ');
            if (key.SequenceEqual("read_bytes"u8))
            {
                if (!Fields.TryUInt64(value, out io.ReadBytes)) return false;
                sawRead = true;
            }
            else if (key.SequenceEqual("write_bytes"u8))
            {
                if (!Fields.TryUInt64(value, out io.WriteBytes)) return false;
                sawWrite = true;
            }
        }
        return sawRead && sawWrite;
    }
}
