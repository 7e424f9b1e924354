using ProcActors.Procfs.Parsing;

namespace ProcActors.Procfs;

/// <summary>The fields of /proc/[pid]/status that the agent uses.</summary>
public struct ProcStatus
{
    public uint EffectiveUid;
    public ulong VoluntaryCtxSwitches;
    public ulong NonvoluntaryCtxSwitches;
    /// <summary>VmSwap in bytes; kernel threads have no such line and report 0.</summary>
    public ulong SwapBytes;
}

/// <summary>
/// Parses /proc/[pid]/status: "Key:\tvalue" lines. Unknown lines are skipped; a known line that does not parse fails,
/// and so does a file without its counter lines: a cut-off status read as zero switches would make the next full
/// read count the process's whole history again.
/// </summary>
public static class StatusParser
{
    public static bool TryParse(ReadOnlySpan<byte> content, out ProcStatus status)
    {
        status = default;
        bool sawUid = false, sawVoluntary = false, sawNonvoluntary = false;
        var rest = content;
        while (Fields.NextKeyValue(ref rest, out var key, out var value))
        {
            switch (key[0])
            {
                case (byte)'U' when key.SequenceEqual("Uid"u8):
                    var values = value;
                    Fields.NextToken(ref values);
                    if (!Fields.TryUInt64(Fields.NextToken(ref values), out var euid) || euid > uint.MaxValue) return false;
                    status.EffectiveUid = (uint)euid;
                    sawUid = true;
                    break;
                case (byte)'V' when key.SequenceEqual("VmSwap"u8):
                    if (!Fields.TryKilobytes(value, out status.SwapBytes)) return false;
                    break;
                case (byte)'v' when key.SequenceEqual("voluntary_ctxt_switches"u8):
                    if (!Fields.TryUInt64(value.Trim((byte)'\t').Trim((byte)' '), out status.VoluntaryCtxSwitches)) return false;
                    sawVoluntary = true;
                    break;
                case (byte)'n' when key.SequenceEqual("nonvoluntary_ctxt_switches"u8):
                    if (!Fields.TryUInt64(value.Trim((byte)'\t').Trim((byte)' '), out status.NonvoluntaryCtxSwitches)) return false;
                    sawNonvoluntary = true;
                    break;
            }
        }
        return sawUid && sawVoluntary && sawNonvoluntary;
    }
}
