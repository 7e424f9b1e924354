using ProcActors.Procfs.Parsing;

namespace ProcActors.Procfs;

/// <summary>Parses the soft "Max open files" limit out of /proc/[pid]/limits; "unlimited" is <see cref="ulong.MaxValue"/>.</summary>
public static class LimitsParser
{
    private static ReadOnlySpan<byte> OpenFiles => "Max open files"u8;

    public static bool TryParseMaxOpenFiles(ReadOnlySpan<byte> content, out ulong softLimit)
    {
        softLimit = 0;
        var rest = content;
        while (!rest.IsEmpty)
        {
            var line = Fields.NextLine(ref rest);
            if (!line.StartsWith(OpenFiles)) continue;
            var values = line[OpenFiles.Length..];
            var soft = Fields.NextToken(ref values);
            if (soft.SequenceEqual("unlimited"u8))
            {
                softLimit = ulong.MaxValue;
                return true;
            }
            return Fields.TryUInt64(soft, out softLimit);
        }
        return false;
    }
}
