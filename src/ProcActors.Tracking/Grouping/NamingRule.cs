using ProcActors.Procfs;

namespace ProcActors.Tracking.Grouping;

/// <summary>One process_names item: every matcher it has must accept the process, then its template names it.</summary>
internal sealed class NamingRule
{
    private readonly HashSet<string>? _comms;

    /// <summary>argv[0] basename to the full argv[0] required, or null when the basename alone suffices.</summary>
    private readonly Dictionary<string, string?>? _exes;

    private readonly GoRegex[] _cmdlines;
    private readonly NameTemplate _template;

    /// <param name="comms">Exact comm values, or null for no comm matcher.</param>
    /// <param name="exes">exe: entries, or null for no exe matcher.</param>
    /// <param name="cmdlines">Regexes that must all match the joined command line; empty for no cmdline matcher.</param>
    public NamingRule(IEnumerable<string>? comms, IEnumerable<string>? exes, GoRegex[] cmdlines, NameTemplate template)
    {
        _comms = comms is null ? null : new HashSet<string>(comms, StringComparer.Ordinal);
        if (exes is not null)
        {
            _exes = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var exe in exes)
            {
                // Keyed by basename like process-exporter's map, so of two entries with one basename the later wins.
                if (exe.Contains('/', StringComparison.Ordinal))
                {
                    _exes[GoPath.Base(exe)] = exe;
                }
                else
                {
                    _exes[exe] = null;
                }
            }
        }

        _cmdlines = cmdlines;
        _template = template;
    }

    /// <summary>The group name, or null when a matcher rejects the process.</summary>
    /// <param name="joinedCmdline">The command line joined with spaces, computed by the first rule that needs it
    /// and shared with the rules after it.</param>
    public string? Name(ProcStatic proc, ref string? joinedCmdline)
    {
        if (_comms is not null && !_comms.Contains(proc.Name))
        {
            return null;
        }

        if (_exes is not null && !ExeMatches(_exes, proc.Cmdline))
        {
            return null;
        }

        if (_cmdlines.Length > 0)
        {
            joinedCmdline ??= string.Join(' ', proc.Cmdline);
            foreach (var regex in _cmdlines)
            {
                if (!regex.Regex.IsMatch(joinedCmdline))
                {
                    return null;
                }
            }
        }

        return _template.Render(proc, _cmdlines, joinedCmdline ?? "");
    }

    private static bool ExeMatches(Dictionary<string, string?> exes, IReadOnlyList<string> cmdline)
    {
        // Kernel threads and zombies have no command line; process-exporter never matches them by exe.
        if (cmdline.Count == 0 || !exes.TryGetValue(GoPath.Base(cmdline[0]), out var fullPath))
        {
            return false;
        }

        return fullPath is null || fullPath == cmdline[0];
    }
}
