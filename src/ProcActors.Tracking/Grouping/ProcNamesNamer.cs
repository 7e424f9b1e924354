using ProcActors.Procfs;

namespace ProcActors.Tracking.Grouping;

/// <summary>
/// process-exporter's older command-line selection: -procnames lists the comm values to track, each its own group;
/// -namemapping pairs a comm with a regex over the joined command line whose first non-empty capture group makes
/// the group name "comm:capture". A mapped comm is tracked only when its regex yields such a capture, whether or
/// not -procnames lists it as well.
/// </summary>
/// <remarks>Immutable, so it may name processes from several threads at once.</remarks>
public sealed class ProcNamesNamer : IProcNamer
{
    /// <summary>Tracked comm values, with the regex that names their groups or null when the comm is the name.</summary>
    private readonly Dictionary<string, GoRegex?> _byComm;

    private ProcNamesNamer(Dictionary<string, GoRegex?> byComm) => _byComm = byComm;

    /// <param name="procNames">The -procnames flag: comm values separated by commas (empty entries ignored, no trimming).</param>
    /// <param name="nameMapping">The -namemapping flag: "comm,regex,comm,regex,..."; null or empty for none.</param>
    /// <exception cref="ConfigException">The flags are malformed or name no process.</exception>
    public static ProcNamesNamer Create(string procNames, string? nameMapping)
    {
        ArgumentNullException.ThrowIfNull(procNames);
        var byComm = new Dictionary<string, GoRegex?>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(nameMapping))
        {
            AddNameMapping(byComm, nameMapping);
        }

        foreach (var comm in procNames.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            byComm.TryAdd(comm, null); // a mapping for the same comm stays in force, as in process-exporter
        }

        if (byComm.Count == 0)
        {
            throw new ConfigException("-procnames and -namemapping name no process to track");
        }

        return new ProcNamesNamer(byComm);
    }

    public string? Name(ProcStatic proc)
    {
        ArgumentNullException.ThrowIfNull(proc);
        if (!_byComm.TryGetValue(proc.Name, out var regex))
        {
            return null;
        }

        if (regex is null)
        {
            return proc.Name;
        }

        var groups = regex.Regex.Match(string.Join(' ', proc.Cmdline)).Groups;
        for (var g = 1; g < groups.Count; g++)
        {
            if (groups[g].Value.Length > 0)
            {
                return proc.Name + ":" + groups[g].Value;
            }
        }

        return null;
    }

    private static void AddNameMapping(Dictionary<string, GoRegex?> byComm, string nameMapping)
    {
        // Split on every comma, as process-exporter does: a regex cannot contain one.
        var tokens = nameMapping.Split(',');
        if (tokens.Length % 2 == 1)
        {
            throw new ConfigException(
                $"-namemapping \"{nameMapping}\": expected comm,regex pairs but found {tokens.Length} comma-separated tokens (a regex cannot contain a comma)");
        }

        for (var i = 0; i < tokens.Length; i++)
        {
            if (tokens[i].Length == 0)
            {
                throw new ConfigException($"-namemapping \"{nameMapping}\": token {i + 1} of {tokens.Length} is empty");
            }
        }

        for (var i = 0; i < tokens.Length; i += 2)
        {
            var (comm, pattern) = (tokens[i], tokens[i + 1]);
            var regex = GoRegex.TryCompile(pattern, out var error)
                ?? throw new ConfigException($"-namemapping: invalid regular expression \"{pattern}\" for comm \"{comm}\": {error}");

            // process-exporter accepts such a regex but then never tracks the comm.
            if (regex.GroupNames.Count == 1)
            {
                throw new ConfigException(
                    $"-namemapping: regular expression \"{pattern}\" for comm \"{comm}\" has no capture group, so it can never name a process; wrap the distinguishing part in (...)");
            }

            byComm[comm] = regex; // a later pair for the same comm replaces an earlier one
        }
    }
}
