using System.Globalization;
using System.Runtime.InteropServices;
using ProcActors.Procfs.Native;

namespace ProcActors.Procfs;

/// <summary>A range of this process's address space mapped read-only from a file: code or read-only data.</summary>
public readonly record struct FileMapping(ulong Start, ulong End, string Path)
{
    public nuint Length => (nuint)(End - Start);
}

/// <summary>What releasing the start-up pages did: the file-backed resident memory before and after.</summary>
public readonly record struct PageRelease(int Mappings, long ResidentFileBytesBefore, long ResidentFileBytesAfter, int Failures, int FirstErrno)
{
    public long ReleasedBytes => Math.Max(0, ResidentFileBytesBefore - ResidentFileBytesAfter);
}

/// <summary>
/// The pages of the agent's own code and read-only data that only its start-up touched (configuration, dependency
/// injection, type loading, the first reads) stay resident until the kernel needs the memory, and count in its RSS
/// for good. <see cref="Release"/> asks the kernel to reclaim them now (<c>madvise(MADV_PAGEOUT)</c> over the
/// private read-only file mappings): clean file pages are dropped, not written anywhere, and what the steady cycle
/// uses is read back on its next touch. It never touches anonymous memory, writable or shared mappings, or the
/// runtime's double-mapped JIT code.
/// </summary>
public static class OwnCodePages
{
    /// <summary>The private, read-only mappings of a file in <c>/proc/self/maps</c> lines.</summary>
    public static List<FileMapping> ReadOnlyFileMappings(IEnumerable<string> mapsLines)
    {
        var result = new List<FileMapping>();
        foreach (var line in mapsLines)
        {
            // "start-end perms offset dev inode path": the path is what follows the fifth field, and may hold spaces.
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6) continue;
            var perms = fields[1];
            if (perms.Length < 4 || perms[0] != 'r' || perms[1] == 'w' || perms[3] != 'p') continue;
            var path = fields[5].Trim();
            if (!path.StartsWith('/') || path.StartsWith("/memfd:", StringComparison.Ordinal) || path.EndsWith(" (deleted)", StringComparison.Ordinal)) continue;
            var dash = fields[0].IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0
                || !long.TryParse(fields[0].AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
                || !long.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end)
                || end <= start)
            {
                continue;
            }
            result.Add(new FileMapping((ulong)start, (ulong)end, path));
        }
        return result;
    }

    /// <summary>
    /// Reclaims the resident pages of every private read-only file mapping of this process. Never throws: a kernel
    /// without <c>MADV_PAGEOUT</c> (before 5.4) or a range that changed meanwhile counts as a failure with its errno.
    /// </summary>
    public static PageRelease Release(string procSelf = "/proc/self")
    {
        var before = ResidentFileBytes(procSelf);
        List<FileMapping> mappings;
        try
        {
            mappings = ReadOnlyFileMappings(File.ReadLines(Path.Combine(procSelf, "maps")));
        }
        catch (IOException)
        {
            return new PageRelease(0, before, before, 1, 0);
        }
        var failures = 0;
        var firstErrno = 0;
        foreach (var m in mappings)
        {
            if (LibC.MAdvise((nint)m.Start, m.Length, LibC.MADV_PAGEOUT) == 0) continue;
            failures++;
            if (firstErrno == 0) firstErrno = Marshal.GetLastPInvokeError();
        }
        return new PageRelease(mappings.Count, before, ResidentFileBytes(procSelf), failures, firstErrno);
    }

    /// <summary><c>RssFile</c> of <c>status</c>, in bytes; -1 if it cannot be read.</summary>
    public static long ResidentFileBytes(string procSelf = "/proc/self")
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(procSelf, "status")))
            {
                if (!line.StartsWith("RssFile:", StringComparison.Ordinal)) continue;
                var kb = line.AsSpan("RssFile:".Length).Trim();
                if (kb.EndsWith("kB", StringComparison.Ordinal)) kb = kb[..^2].Trim();
                return long.TryParse(kb, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value * 1024 : -1;
            }
        }
        catch (IOException)
        {
        }
        return -1;
    }
}
