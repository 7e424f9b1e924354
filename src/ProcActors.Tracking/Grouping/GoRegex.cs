using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace ProcActors.Tracking.Grouping;

/// <summary>
/// A regular expression in Go's RE2 syntax, the dialect process-exporter configurations are written in,
/// run by .NET with the meaning Go gives it.
/// </summary>
/// <remarks>
/// The non-backtracking engine keeps RE2's promises: matching takes linear time, so a pattern that is harmless
/// under Go cannot hang a scan here, and what RE2 lacks (lookaround, backreferences) is refused.
/// Where the dialects differ the pattern is rewritten to Go's meaning: \d \w \s and POSIX classes are ASCII-only,
/// $ without the m flag is end of text, \pL is a one-letter Unicode class, and groups are numbered by the order
/// of their opening parentheses whether named or not. What cannot be rewritten faithfully is refused instead of
/// silently matching something else. Known remaining difference: \b uses .NET's Unicode word characters.
/// </remarks>
internal sealed class GoRegex
{
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    private static readonly Dictionary<string, string> PosixClasses = new(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z",
        ["alpha"] = "A-Za-z",
        ["ascii"] = @"\x00-\x7F",
        ["blank"] = @"\t ",
        ["cntrl"] = @"\x00-\x1F\x7F",
        ["digit"] = "0-9",
        ["graph"] = "!-~",
        ["lower"] = "a-z",
        ["print"] = " -~",
        ["punct"] = @"!-/:-@\[-`{-~",
        ["space"] = @"\t\n\v\f\r ",
        ["upper"] = "A-Z",
        ["word"] = "0-9A-Za-z_",
        ["xdigit"] = "0-9A-Fa-f",
    };

    private readonly string[] _groupNames;

    private GoRegex(Regex regex, string[] groupNames)
    {
        Regex = regex;
        _groupNames = groupNames;
    }

    /// <summary>The .NET equivalent, whose group i is Go's group i.</summary>
    public Regex Regex { get; }

    /// <summary>
    /// Go's SubexpNames: index 0 stands for the whole match, then one entry per capturing group in order of
    /// its opening parenthesis, "" for an unnamed group.
    /// </summary>
    public IReadOnlyList<string> GroupNames => _groupNames;

    /// <summary>Compiles <paramref name="pattern"/>; on failure returns null and a one-line reason.</summary>
    public static GoRegex? TryCompile(string pattern, out string error)
    {
        string translated;
        string[] groupNames;
        try
        {
            (translated, groupNames) = new Translator(pattern).Translate();
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }

        Regex regex;
        try
        {
            regex = new Regex(translated, Options);
        }
        catch (RegexParseException e)
        {
            error = DescribeParseError(e);
            return null;
        }
        catch (NotSupportedException e)
        {
            error = e.Message;
            return null;
        }

        Debug.Assert(regex.GetGroupNumbers().Length == groupNames.Length, "every Go group must be a numbered .NET group");
        error = "";
        return new GoRegex(regex, groupNames);
    }

    /// <summary>
    /// .NET's message quotes the translated pattern and an offset into it, which would confuse the author of the
    /// Go pattern; keep only the description that follows.
    /// </summary>
    private static string DescribeParseError(RegexParseException e)
    {
        var marker = $" at offset {e.Offset}. ";
        var at = e.Message.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? e.Message : e.Message[(at + marker.Length)..];
    }

    /// <summary>One pass over a Go pattern producing the .NET pattern; FormatException for what cannot be kept.</summary>
    private sealed class Translator(string pattern)
    {
        private readonly StringBuilder _out = new(pattern.Length + 16);
        private readonly List<string> _groupNames = [""];

        // Inline flags last until the enclosing group closes, in Go as in .NET; this remembers, for each open
        // group, whether $ meant end of line (flag m) outside it.
        private readonly Stack<bool> _enclosingMultiline = new();
        private bool _multiline;
        private int _pos;

        public (string Pattern, string[] GroupNames) Translate()
        {
            while (_pos < pattern.Length)
            {
                var c = pattern[_pos++];
                switch (c)
                {
                    case '\\':
                        Escape(inClass: false);
                        break;
                    case '[':
                        CharClass();
                        break;
                    case '(':
                        Group();
                        break;
                    case ')':
                        if (_enclosingMultiline.Count > 0)
                        {
                            _multiline = _enclosingMultiline.Pop();
                        }

                        _out.Append(')');
                        break;
                    case '$':
                        // .NET's $ also matches before a final newline; Go's only at the very end.
                        _out.Append(_multiline ? "$" : @"\z");
                        break;
                    default:
                        _out.Append(c);
                        break;
                }
            }

            return (_out.ToString(), _groupNames.ToArray());
        }

        private void Escape(bool inClass)
        {
            if (_pos == pattern.Length)
            {
                _out.Append('\\'); // .NET reports the dangling backslash
                return;
            }

            var e = pattern[_pos++];
            switch (e)
            {
                case 'd':
                    _out.Append(inClass ? "0-9" : "[0-9]");
                    break;
                case 'w':
                    _out.Append(inClass ? "0-9A-Za-z_" : "[0-9A-Za-z_]");
                    break;
                case 's':
                    _out.Append(inClass ? @"\t\n\f\r " : @"[\t\n\f\r ]");
                    break;
                case 'D' or 'W' or 'S' when inClass:
                    throw new FormatException($@"\{e} inside a character class is not supported; write the ASCII set it excludes instead");
                case 'D':
                    _out.Append("[^0-9]");
                    break;
                case 'W':
                    _out.Append("[^0-9A-Za-z_]");
                    break;
                case 'S':
                    _out.Append(@"[^\t\n\f\r ]");
                    break;
                case 'p' or 'P' when _pos < pattern.Length && pattern[_pos] != '{':
                    _out.Append('\\').Append(e).Append('{').Append(pattern[_pos++]).Append('}');
                    break;
                default:
                    _out.Append('\\').Append(e);
                    break;
            }
        }

        private void CharClass()
        {
            _out.Append('[');
            if (_pos < pattern.Length && pattern[_pos] == '^')
            {
                _out.Append('^');
                _pos++;
            }

            if (_pos < pattern.Length && pattern[_pos] == ']')
            {
                _out.Append(@"\]"); // a ']' first in a class is literal in Go
                _pos++;
            }

            while (_pos < pattern.Length)
            {
                var c = pattern[_pos++];
                switch (c)
                {
                    case ']':
                        _out.Append(']');
                        return;
                    case '\\':
                        Escape(inClass: true);
                        break;
                    case '[' when _pos < pattern.Length && pattern[_pos] == ':':
                        PosixClass();
                        break;
                    case '[':
                        _out.Append(@"\["); // literal in Go; unescaped, .NET could read "-[" as class subtraction
                        break;
                    default:
                        _out.Append(c);
                        break;
                }
            }

            // An unterminated class is left for .NET to report.
        }

        private void PosixClass()
        {
            var end = pattern.IndexOf(":]", _pos + 1, StringComparison.Ordinal);
            if (end < 0)
            {
                _out.Append(@"\[");
                return;
            }

            var name = pattern[(_pos + 1)..end];
            if (name.StartsWith('^'))
            {
                throw new FormatException($"negated POSIX class [:{name}:] is not supported; write the ASCII set it excludes instead");
            }

            if (!PosixClasses.TryGetValue(name, out var set))
            {
                throw new FormatException($"invalid character class range [:{name}:]");
            }

            _out.Append(set);
            _pos = end + 2;
        }

        private void Group()
        {
            if (_pos == pattern.Length || pattern[_pos] != '?')
            {
                OpenCapture("");
                return;
            }

            var rest = pattern.AsSpan(_pos + 1);
            if (rest.StartsWith("<=") || rest.StartsWith("<!"))
            {
                throw new FormatException($"lookbehind \"(?{rest[..2]}\" is not supported by Go's regular expressions");
            }

            if (rest.StartsWith("P<"))
            {
                NamedCapture(_pos + 3);
            }
            else if (rest.StartsWith("<"))
            {
                NamedCapture(_pos + 2);
            }
            else
            {
                Flags();
            }
        }

        private void OpenCapture(string name)
        {
            _enclosingMultiline.Push(_multiline);
            _groupNames.Add(name);
            _out.Append('('); // unnamed in .NET so that its number is its position, as in Go
        }

        private void NamedCapture(int nameStart)
        {
            var end = pattern.IndexOf('>', nameStart);
            var name = end < 0 ? "" : pattern[nameStart..end];
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new FormatException($"invalid named capture \"{pattern[(_pos - 1)..(end < 0 ? pattern.Length : end + 1)]}\"");
            }

            _pos = end + 1;
            OpenCapture(name);
        }

        /// <summary>(?flags) or (?flags:...), the only other group syntax Go has.</summary>
        private void Flags()
        {
            var start = _pos - 1; // the '(' already consumed
            _pos++; // past '?'
            var negated = false;
            bool? multiline = null;
            while (_pos < pattern.Length)
            {
                var f = pattern[_pos++];
                switch (f)
                {
                    case 'i' or 's':
                        break;
                    case 'm':
                        multiline = !negated;
                        break;
                    case '-':
                        negated = true;
                        break;
                    case 'U':
                        throw new FormatException("the U (ungreedy) flag is not supported; use lazy quantifiers such as *? instead");
                    case ':':
                        _enclosingMultiline.Push(_multiline);
                        _multiline = multiline ?? _multiline;
                        _out.Append(pattern, start, _pos - start);
                        return;
                    case ')':
                        _multiline = multiline ?? _multiline;
                        _out.Append(pattern, start, _pos - start);
                        return;
                    default:
                        throw new FormatException($"invalid or unsupported Perl syntax \"{pattern[start.._pos]}\"");
                }
            }

            throw new FormatException($"missing closing ) in \"{pattern[start..]}\"");
        }
    }
}
