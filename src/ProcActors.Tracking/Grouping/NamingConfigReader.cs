using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace ProcActors.Tracking.Grouping;

/// <summary>
/// Turns the YAML of a process_names configuration into rules, failing with a ConfigException
/// "source:line: process_names[item].field: problem" on the first problem found.
/// </summary>
/// <remarks>
/// Items are numbered from 1, entries of a list within an item from 0 (process_names[2].cmdline[0] is the first
/// regex of the second item). Stricter than process-exporter where its leniency hides mistakes: unknown keys,
/// empty lists and template fields that cannot render are errors here rather than silently ignored or misnamed.
/// </remarks>
internal sealed class NamingConfigReader(string source)
{
    private const string ItemKeys = "name, comm, exe and cmdline";

    /// <summary>Far beyond the 4 levels of a configuration (mapping, list of items, item, list of entries).</summary>
    private const int MaxNesting = 32;

    public NamingRule[] Read(string yaml)
    {
        var stream = Load(yaml);

        if (stream.Documents.Count == 0)
        {
            throw new ConfigException($"{source}: the configuration is empty; it needs a process_names: list");
        }

        if (stream.Documents.Count > 1)
        {
            throw Error(stream.Documents[1].RootNode, "(document 2)", "only one YAML document is allowed");
        }

        var root = stream.Documents[0].RootNode;
        if (root is not YamlMappingNode top)
        {
            throw Error(root, "(top level)", $"expected a mapping with a process_names: key, found {Describe(root)}");
        }

        YamlNode? processNames = null;
        foreach (var (keyNode, value) in top.Children)
        {
            var key = Key(keyNode, "(top level)");
            if (key != "process_names")
            {
                throw Error(keyNode, key, "unknown key; the only top-level key is process_names");
            }

            processNames = value;
        }

        if (processNames is null)
        {
            throw Error(top, "process_names", "missing; the configuration needs a process_names: list");
        }

        if (processNames is not YamlSequenceNode items)
        {
            throw Error(processNames, "process_names", $"expected a list of items, found {Describe(processNames)}");
        }

        if (items.Children.Count == 0)
        {
            throw Error(items, "process_names", "the list is empty, so no process would be named");
        }

        return [.. items.Children.Select((item, i) => ReadRule(item, $"process_names[{i + 1}]"))];
    }

    private YamlStream Load(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        try
        {
            RejectWhatWouldOverflowTheStack(parser);
            var stream = new YamlStream();
            stream.Load(new Parser(new StringReader(yaml)));
            return stream;
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{source}:{e.Start.Line}: invalid YAML: {WithoutPosition(e)}", e);
        }
        catch (Exception e) when (e is not (ConfigException or OutOfMemoryException))
        {
            // YamlDotNet's scanner fails on some malformed input with a bare exception and no position;
            // the last event parsed is the best pointer to the mistake.
            var line = parser.Current?.Start.Line ?? 1;
            throw new ConfigException($"{source}:{line}: invalid YAML at or after this line", e);
        }
    }

    /// <summary>
    /// YamlDotNet builds its node tree recursively and hashes mapping keys deeply, so absurd nesting or an alias
    /// inside the node it names (which makes a cycle) would overflow the stack, killing the process where no catch
    /// can help. Its event parser is iterative: screen the events first.
    /// </summary>
    private void RejectWhatWouldOverflowTheStack(Parser parser)
    {
        var definedAt = new Dictionary<AnchorName, int>(); // anchor -> event that last defined it
        var openCollections = new Stack<int>();
        for (var index = 0; parser.MoveNext(); index++)
        {
            switch (parser.Current)
            {
                case AnchorAlias alias when definedAt.TryGetValue(alias.Value, out var definition) && openCollections.Contains(definition):
                    throw new ConfigException($"{source}:{alias.Start.Line}: alias *{alias.Value} is inside the node it refers to; recursive YAML is not supported");
                case NodeEvent node:
                    if (!node.Anchor.IsEmpty)
                    {
                        definedAt[node.Anchor] = index;
                    }

                    if (node is MappingStart or SequenceStart)
                    {
                        openCollections.Push(index);
                        if (openCollections.Count > MaxNesting)
                        {
                            throw new ConfigException($"{source}:{node.Start.Line}: nested more than {MaxNesting} levels deep; a configuration needs 4");
                        }
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    openCollections.Pop();
                    break;
            }
        }
    }

    private NamingRule ReadRule(YamlNode node, string path)
    {
        if (node is not YamlMappingNode item)
        {
            throw Error(node, path, $"expected a mapping with keys {ItemKeys}, found {Describe(node)}");
        }

        YamlScalarNode? name = null;
        List<YamlScalarNode>? comms = null, exes = null, cmdlines = null;
        foreach (var (keyNode, value) in item.Children)
        {
            var key = Key(keyNode, path);
            var fieldPath = $"{path}.{key}";
            switch (key)
            {
                case "name":
                    name = ReadString(value, fieldPath);
                    break;
                case "comm":
                    comms = ReadList(value, fieldPath);
                    break;
                case "exe":
                    exes = ReadList(value, fieldPath);
                    break;
                case "cmdline":
                    cmdlines = ReadList(value, fieldPath);
                    break;
                default:
                    throw Error(keyNode, fieldPath, $"unknown key; an item has keys {ItemKeys}");
            }
        }

        if (comms is null && exes is null && cmdlines is null)
        {
            throw Error(item, path, "no matcher; give at least one of comm, exe or cmdline");
        }

        var regexes = cmdlines is null ? [] : cmdlines.Select((entry, j) => Compile(entry, $"{path}.cmdline[{j}]")).ToArray();
        var template = ParseTemplate(name, $"{path}.name", regexes);
        return new NamingRule(comms?.Select(c => c.Value!), exes?.Select(e => e.Value!), regexes, template);
    }

    private GoRegex Compile(YamlScalarNode entry, string path) =>
        GoRegex.TryCompile(entry.Value!, out var error)
        ?? throw Error(entry, path, $"invalid regular expression \"{entry.Value}\": {error}");

    private NameTemplate ParseTemplate(YamlScalarNode? name, string path, GoRegex[] regexes)
    {
        // As in process-exporter, an empty name is no name.
        var text = string.IsNullOrEmpty(name?.Value) ? NameTemplate.Default : name.Value;
        var template = NameTemplate.TryParse(text, out var error)
            ?? throw Error(name!, path, $"bad template \"{text}\": {error}");

        // process-exporter would render "<no value>" into the group name; that is never what the author meant.
        var missing = template.MatchNames.FirstOrDefault(m => !regexes.Any(r => r.GroupNames.Contains(m)));
        if (missing is not null)
        {
            throw Error(name!, path, regexes.Length == 0
                ? $"{{{{.Matches.{missing}}}}} needs a cmdline regex with a group named {missing}, and this item has no cmdline"
                : $"{{{{.Matches.{missing}}}}} names no capture group of this item's cmdline regexes; define it with (?P<{missing}>...)");
        }

        return template;
    }

    /// <returns>The scalar, or null when the value is YAML null (the key is then as good as absent).</returns>
    private YamlScalarNode? ReadString(YamlNode value, string path)
    {
        if (IsNull(value))
        {
            return null;
        }

        return value as YamlScalarNode ?? throw Error(value, path, $"expected a string, found {Describe(value)}");
    }

    /// <returns>The entries, or null when the value is YAML null (the key is then as good as absent).</returns>
    private List<YamlScalarNode>? ReadList(YamlNode value, string path)
    {
        if (IsNull(value))
        {
            return null;
        }

        if (value is not YamlSequenceNode list)
        {
            throw Error(value, path, $"expected a list, found {Describe(value)}");
        }

        if (list.Children.Count == 0)
        {
            // process-exporter would accept it, matching nothing for comm/exe and everything for cmdline.
            throw Error(list, path, "the list is empty; give at least one entry or remove the key");
        }

        return [.. list.Children.Select((entry, j) => entry is YamlScalarNode scalar && !IsNull(scalar)
            ? scalar
            : throw Error(entry, $"{path}[{j}]", $"expected a string, found {Describe(entry)}"))];
    }

    private string Key(YamlNode key, string path) =>
        key is YamlScalarNode { Value: { } text } && !IsNull(key)
            ? text
            : throw Error(key, path, $"expected a key name, found {Describe(key)}");

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string Describe(YamlNode node) => node switch
    {
        _ when IsNull(node) => "null",
        YamlScalarNode scalar => $"\"{scalar.Value}\"",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "a YAML node",
    };

    /// <summary>YamlDotNet prefixes its messages with both marks of the span; the line is reported already.</summary>
    private static string WithoutPosition(YamlException e)
    {
        var prefix = $"({e.Start}) - ({e.End}): ";
        return e.Message.StartsWith(prefix, StringComparison.Ordinal) ? e.Message[prefix.Length..] : e.Message;
    }

    private ConfigException Error(YamlNode node, string path, string message) =>
        new($"{source}:{node.Start.Line}: {path}: {message}");
}
