namespace ProcActors.Tracking.Grouping;

internal static class GoPath
{
    /// <summary>
    /// Go's filepath.Base on Linux, which process-exporter applies to argv[0] and to exe: entries.
    /// Unlike Path.GetFileName it ignores trailing slashes and never returns an empty string.
    /// </summary>
    public static string Base(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        var trimmed = path.AsSpan().TrimEnd('/');
        if (trimmed.IsEmpty)
        {
            return "/";
        }

        var lastSlash = trimmed.LastIndexOf('/');
        var name = lastSlash < 0 ? trimmed : trimmed[(lastSlash + 1)..];
        return name.Length == path.Length ? path : name.ToString();
    }
}
