using System.Text;
using System.Text.RegularExpressions;

namespace ProcActors.Tracking.Grouping;

/// <summary>
/// What process-exporter's template sees as .Matches: the groups of every cmdline regex of a rule, applied to the
/// joined command line. Regexes run again here, with captures, only when a template asks for them: the matching
/// pass needs no captures and is cheaper without.
/// </summary>
internal sealed class CmdlineCaptures(IReadOnlyList<GoRegex> regexes, string joinedCmdline)
{
    /// <summary>What Go's text/template prints for a key missing from a map.</summary>
    private const string NoValue = "<no value>";

    private readonly Match?[] _matches = new Match?[regexes.Count];

    /// <summary>
    /// process-exporter fills one map from every group of every regex in order, so when a name occurs twice the
    /// last group with that name wins, even when it did not participate in the match ("").
    /// </summary>
    public string Get(string name)
    {
        for (var r = regexes.Count - 1; r >= 0; r--)
        {
            var names = regexes[r].GroupNames;
            for (var g = names.Count - 1; g >= 0; g--)
            {
                if (names[g] == name)
                {
                    return MatchOf(r).Groups[g].Value;
                }
            }
        }

        return NoValue;
    }

    /// <summary>The whole map as Go's fmt prints it: map[k1:v1 k2:v2], keys sorted; the key "" holds the whole match
    /// or, when there are unnamed groups, the last of them.</summary>
    public string FormatMap()
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (var r = 0; r < regexes.Count; r++)
        {
            var names = regexes[r].GroupNames;
            var groups = MatchOf(r).Groups;
            for (var g = 0; g < names.Count; g++)
            {
                map[names[g]] = groups[g].Value;
            }
        }

        var text = new StringBuilder("map[");
        foreach (var (key, value) in map)
        {
            if (text.Length > "map[".Length)
            {
                text.Append(' ');
            }

            text.Append(key).Append(':').Append(value);
        }

        return text.Append(']').ToString();
    }

    private Match MatchOf(int regex) => _matches[regex] ??= regexes[regex].Regex.Match(joinedCmdline);
}
