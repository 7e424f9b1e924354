using ProcActors.Procfs.Parsing;

namespace ProcActors.Procfs;

/// <summary>The fields of /proc/[pid]/stat (and task/[tid]/stat) that the agent uses.</summary>
public struct ProcStat
{
    public int Pid;
    /// <summary>Where the command name lies in the parsed buffer (between the first '(' and the last ')').</summary>
    public Range Comm;
    public byte State;
    public int ParentPid;
    public ulong MinorFaults;
    public ulong MajorFaults;
    public ulong UserTicks;
    public ulong SystemTicks;
    /// <summary>CPU of the children this process waited for (cutime, cstime), their own reaped children included.</summary>
    public ulong ChildrenUserTicks;
    public ulong ChildrenSystemTicks;
    public uint NumThreads;
    public ulong StartTicks;
    public ulong VirtualBytes;
    public ulong ResidentPages;
}

/// <summary>
/// Parses /proc/[pid]/stat. The command name may hold spaces and parentheses ("(sd-pam)", "a) R (b"), so the fields
/// are read after the last ')'.
/// </summary>
public static class StatParser
{
    public static bool TryParse(ReadOnlySpan<byte> content, out ProcStat stat)
    {
        stat = default;
        var open = content.IndexOf((byte)'(');
        var close = content.LastIndexOf((byte)')');
        if (open <= 0 || close < open) return false;

        if (!Fields.TryInt64(content[..open].TrimEnd((byte)' '), out var pid) || pid is < 0 or > int.MaxValue) return false;
        stat.Pid = (int)pid;
        stat.Comm = new Range(open + 1, close);

        var rest = content[(close + 1)..];
        // Field numbers as in proc(5); the comm is field 2, so the first token here is field 3.
        for (var field = 3; field <= 24; field++)
        {
            var token = Fields.NextToken(ref rest);
            if (token.IsEmpty) return false;
            switch (field)
            {
                case 3:
                    if (token.Length != 1) return false;
                    stat.State = token[0];
                    break;
                case 4:
                    if (!Fields.TryInt64(token, out var ppid) || ppid is < 0 or > int.MaxValue) return false;
                    stat.ParentPid = (int)ppid;
                    break;
                case 10:
                    if (!Fields.TryUInt64(token, out stat.MinorFaults)) return false;
                    break;
                case 12:
                    if (!Fields.TryUInt64(token, out stat.MajorFaults)) return false;
                    break;
                case 14:
                    if (!Fields.TryUInt64(token, out stat.UserTicks)) return false;
                    break;
                case 15:
                    if (!Fields.TryUInt64(token, out stat.SystemTicks)) return false;
                    break;
                case 16:
                    if (!Fields.TryInt64(token, out var cutime)) return false;
                    stat.ChildrenUserTicks = cutime < 0 ? 0 : (ulong)cutime;
                    break;
                case 17:
                    if (!Fields.TryInt64(token, out var cstime)) return false;
                    stat.ChildrenSystemTicks = cstime < 0 ? 0 : (ulong)cstime;
                    break;
                case 20:
                    if (!Fields.TryInt64(token, out var threads) || threads is < 0 or > uint.MaxValue) return false;
                    stat.NumThreads = (uint)threads;
                    break;
                case 22:
                    if (!Fields.TryUInt64(token, out stat.StartTicks)) return false;
                    break;
                case 23:
                    if (!Fields.TryUInt64(token, out stat.VirtualBytes)) return false;
                    break;
                case 24:
                    if (!Fields.TryInt64(token, out var rss)) return false;
                    stat.ResidentPages = rss < 0 ? 0 : (ulong)rss;
                    break;
            }
        }
        return true;
    }
}
