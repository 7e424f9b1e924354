using ProcActors.Procfs.Parsing;

namespace ProcActors.Procfs;

public struct ProcSmapsRollup
{
    public ulong ProportionalBytes;
    public ulong ProportionalSwapBytes;
}

/// <summary>Parses Pss and SwapPss out of /proc/[pid]/smaps_rollup (kernels without SwapPss report 0 for it).</summary>
public static class SmapsRollupParser
{
    public static bool TryParse(ReadOnlySpan<byte> content, out ProcSmapsRollup rollup)
    {
        rollup = default;
        var sawPss = false;
        var rest = content;
        while (Fields.NextKeyValue(ref rest, out var key, out var value))
        {
            if (key.SequenceEqual("Pss"u8))
            {
                if (!Fields.TryKilobytes(value, out rollup.ProportionalBytes)) return false;
                sawPss = true;
            }
            else if (key.SequenceEqual("SwapPss"u8))
            {
                if (!Fields.TryKilobytes(value, out rollup.ProportionalSwapBytes)) return false;
            }
        }
        return sawPss;
    }
}
