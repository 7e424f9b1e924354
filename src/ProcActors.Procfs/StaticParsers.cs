using System.Text;
using ProcActors.Procfs.Parsing;

namespace ProcActors.Procfs;

/// <summary>Parses /proc/[pid]/cmdline: NUL-separated arguments, the last usually NUL-terminated.</summary>
public static class CmdlineParser
{
    /// <param name="strings">Where equal arguments of different processes are shared; none: each is decoded anew.</param>
    public static string[] Parse(ReadOnlySpan<byte> content, StringPool? strings = null)
    {
        if (content.IsEmpty) return [];
        if (content[^1] == 0) content = content[..^1];
        var args = new string[content.Count((byte)0) + 1];
        for (var i = 0; i < args.Length; i++)
        {
            var end = content.IndexOf((byte)0);
            var arg = end < 0 ? content : content[..end];
            args[i] = strings?.Get(arg) ?? Encoding.UTF8.GetString(arg);
            content = end < 0 ? default : content[(end + 1)..];
        }
        return args;
    }
}

/// <summary>Parses /proc/[pid]/cgroup ("hierarchy:controllers:path" lines) into the cgroup paths, in file order.</summary>
public static class CgroupParser
{
    /// <param name="strings">Where equal paths of different processes are shared; none: each is decoded anew.</param>
    public static string[] Parse(ReadOnlySpan<byte> content, StringPool? strings = null)
    {
        var paths = new List<string>(2);
        var rest = content;
        while (!rest.IsEmpty)
        {
            var line = Fields.NextLine(ref rest);
            var first = line.IndexOf((byte)':');
            if (first < 0) continue;
            var second = line[(first + 1)..].IndexOf((byte)':');
            if (second < 0) continue;
            var path = line[(first + second + 2)..];
            paths.Add(strings?.Get(path) ?? Encoding.UTF8.GetString(path));
        }
        return [.. paths];
    }
}

/// <summary>Parses the boot time ("btime") out of /proc/stat.</summary>
public static class SystemStatParser
{
    public static bool TryParseBootTime(ReadOnlySpan<byte> content, out long bootTimeSeconds)
    {
        bootTimeSeconds = 0;
        var rest = content;
        while (!rest.IsEmpty)
        {
            var line = Fields.NextLine(ref rest);
            if (!line.StartsWith("btime "u8)) continue;
            return Fields.TryInt64(line[6..].Trim((byte)' '), out bootTimeSeconds);
        }
        return false;
    }
}

/// <summary>Parses the first figure of /proc/uptime ("12345.67 ...") into clock ticks, the unit of process start times.</summary>
public static class UptimeParser
{
    public static bool TryParseTicks(ReadOnlySpan<byte> content, int ticksPerSecond, out ulong ticks)
    {
        ticks = 0;
        var rest = content;
        var token = Fields.NextToken(ref rest);
        var dot = token.IndexOf((byte)'.');
        var whole = dot < 0 ? token : token[..dot];
        var fraction = dot < 0 ? default : token[(dot + 1)..];
        if (!Fields.TryUInt64(whole, out var seconds) || seconds > ulong.MaxValue / 1000) return false;
        ulong hundredths = 0;
        if (!fraction.IsEmpty)
        {
            if (fraction.Length > 2) fraction = fraction[..2];
            if (!Fields.TryUInt64(fraction, out hundredths)) return false;
            if (fraction.Length == 1) hundredths *= 10;
        }
        ticks = seconds * (ulong)ticksPerSecond + hundredths * (ulong)ticksPerSecond / 100;
        return true;
    }
}
