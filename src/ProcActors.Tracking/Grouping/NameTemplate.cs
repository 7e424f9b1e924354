using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ProcActors.Procfs;

namespace ProcActors.Tracking.Grouping;

/// <summary>
/// The name: template of a process_names item: literal text and the Go text/template field references
/// process-exporter offers ({{.Comm}}, {{.Matches.X}}, ...), rendered the way Go would print them.
/// Anything else Go templates can do (pipelines, functions, conditionals) is refused when the config loads.
/// </summary>
internal sealed partial class NameTemplate
{
    public const string Default = "{{.ExeBase}}";

    private const string KnownFields = ".Comm, .ExeBase, .ExeFull, .Username, .PID, .StartTime, .Cgroups, .Matches and .Matches.NAME";

    private readonly Part[] _parts;
    private readonly bool _usesMatches;

    private NameTemplate(Part[] parts)
    {
        _parts = parts;
        MatchNames = [.. parts.Where(p => p.Field == Field.Match).Select(p => p.Text).Distinct(StringComparer.Ordinal)];
        _usesMatches = parts.Any(p => p.Field is Field.Match or Field.AllMatches);
    }

    private enum Field
    {
        Literal,
        Comm,
        ExeBase,
        ExeFull,
        Username,
        Pid,
        StartTime,
        Cgroups,
        Match,
        AllMatches,
    }

    /// <summary>The capture group names referenced as {{.Matches.NAME}}.</summary>
    public IReadOnlyList<string> MatchNames { get; }

    /// <summary>Parses <paramref name="text"/>; on failure returns null and a one-line reason.</summary>
    public static NameTemplate? TryParse(string text, out string error)
    {
        var parts = new List<Part>();
        var pos = 0;
        while (pos < text.Length)
        {
            var open = text.IndexOf("{{", pos, StringComparison.Ordinal);
            if (open < 0)
            {
                parts.Add(new Part(Field.Literal, text[pos..]));
                break;
            }

            if (open > pos)
            {
                parts.Add(new Part(Field.Literal, text[pos..open]));
            }

            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"unclosed action \"{text[open..]}\"";
                return null;
            }

            var action = text[open..(close + 2)];
            var reference = FieldReference().Match(action[2..^2]);
            if (!reference.Success)
            {
                error = $"unsupported action \"{action}\": only field references such as {{{{.Comm}}}} or {{{{.Matches.NAME}}}} are supported";
                return null;
            }

            var part = ToPart(reference.Groups["field"].Value, reference.Groups["key"]);
            if (part is null)
            {
                error = $"unknown field in \"{action}\"; the fields are {KnownFields}";
                return null;
            }

            parts.Add(part.Value);
            pos = close + 2;
        }

        error = "";
        return new NameTemplate([.. parts]);
    }

    public string Render(ProcStatic proc, IReadOnlyList<GoRegex> cmdlineRegexes, string joinedCmdline)
    {
        var captures = _usesMatches ? new CmdlineCaptures(cmdlineRegexes, joinedCmdline) : null;
        if (_parts.Length == 1)
        {
            return Value(_parts[0], proc, captures);
        }

        var name = new StringBuilder();
        foreach (var part in _parts)
        {
            name.Append(Value(part, proc, captures));
        }

        return name.ToString();
    }

    private static Part? ToPart(string field, Group key) => (field, key.Success) switch
    {
        ("Comm", false) => new Part(Field.Comm, ""),
        ("ExeBase", false) => new Part(Field.ExeBase, ""),
        ("ExeFull", false) => new Part(Field.ExeFull, ""),
        ("Username", false) => new Part(Field.Username, ""),
        ("PID", false) => new Part(Field.Pid, ""),
        ("StartTime", false) => new Part(Field.StartTime, ""),
        ("Cgroups", false) => new Part(Field.Cgroups, ""),
        ("Matches", false) => new Part(Field.AllMatches, ""),
        ("Matches", true) => new Part(Field.Match, key.Value),
        _ => null,
    };

    private static string Value(Part part, ProcStatic proc, CmdlineCaptures? captures) => part.Field switch
    {
        Field.Literal => part.Text,
        Field.Comm => proc.Name,
        Field.ExeBase => proc.Cmdline.Count > 0 ? GoPath.Base(proc.Cmdline[0]) : proc.Name,
        Field.ExeFull => proc.Cmdline.Count > 0 ? proc.Cmdline[0] : proc.Name,
        Field.Username => proc.Username,
        Field.Pid => proc.Id.Pid.ToString(CultureInfo.InvariantCulture),
        Field.StartTime => GoTimeString(proc.StartTime),
        Field.Cgroups => "[" + string.Join(' ', proc.Cgroups) + "]",
        Field.Match => captures!.Get(part.Text),
        Field.AllMatches => captures!.FormatMap(),
        _ => throw new InvalidOperationException($"unhandled template field {part.Field}"),
    };

    /// <summary>
    /// Go's time.Time.String() for the UTC times process-exporter computes from boot time:
    /// "2006-01-02 15:04:05.999999999 -0700 MST", the fraction without trailing zeros and absent when zero.
    /// </summary>
    private static string GoTimeString(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF' +0000 UTC'", CultureInfo.InvariantCulture);

    // Go allows spaces inside the braces; identifiers as Go's template lexer reads them.
    [GeneratedRegex(@"\A[ \t\r\n]*\.(?<field>[A-Za-z_][A-Za-z0-9_]*)(?:\.(?<key>[A-Za-z_][A-Za-z0-9_]*))?[ \t\r\n]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex FieldReference();

    /// <param name="Text">The literal text, or the capture group name of a Match.</param>
    private readonly record struct Part(Field Field, string Text);
}
