using System.Globalization;
using System.Text;
using ProcActors.Procfs.Native;

namespace ProcActors.Procfs.Taskstats;

/// <summary>Whether a procfs root shows the processes of the pid namespace this process lives in.</summary>
public static class LiveProcfs
{
    /// <summary>
    /// True when <paramref name="root"/> is a procfs mount whose "self" is this very process: then its pids are the
    /// pids the kernel's exit records carry (they are read in the initial pid namespace, where alone a taskstats
    /// listener can register). A fixture tree, or the /proc of another pid namespace, is not.
    /// </summary>
    public static bool IsOwn(string root, out string reason)
    {
        var rootPath = Encoding.UTF8.GetBytes(root + "\0");
        if (!LibC.IsProcfs(rootPath))
        {
            reason = $"{root} is not a procfs mount";
            return false;
        }
        var self = Encoding.UTF8.GetBytes(Path.Combine(root, "self") + "\0");
        Span<byte> target = stackalloc byte[32];
        var length = LibC.ReadLinkInto(self, target);
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        if (length <= 0 || !target[..length].SequenceEqual(Encoding.ASCII.GetBytes(pid)))
        {
            reason = $"{root} is the /proc of another pid namespace (its self is not pid {pid})";
            return false;
        }
        reason = $"{root} is the /proc of this agent's pid namespace";
        return true;
    }
}
