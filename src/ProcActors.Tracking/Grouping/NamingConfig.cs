using ProcActors.Procfs;

namespace ProcActors.Tracking.Grouping;

/// <summary>
/// process-exporter's -config.path file: a process_names: list of items, each with matchers (comm, exe, cmdline)
/// that must all accept a process and a name: template; the first item accepting a process names its group.
/// </summary>
/// <remarks>Immutable once loaded, so it may name processes from several threads at once.</remarks>
public sealed class NamingConfig : IProcNamer
{
    private readonly NamingRule[] _rules;

    internal NamingConfig(NamingRule[] rules) => _rules = rules;

    /// <exception cref="ConfigException">The file cannot be read or is not a valid configuration.</exception>
    public static NamingConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string yaml;
        try
        {
            yaml = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read the configuration file: {e.Message}", e);
        }

        return Parse(yaml, path);
    }

    /// <param name="yaml">The configuration text.</param>
    /// <param name="source">What error messages call the text, usually its file path.</param>
    /// <exception cref="ConfigException">The text is not a valid configuration.</exception>
    public static NamingConfig Parse(string yaml, string source = "<config>")
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(source);
        return new NamingConfig(new NamingConfigReader(source).Read(yaml));
    }

    public string? Name(ProcStatic proc)
    {
        ArgumentNullException.ThrowIfNull(proc);
        string? joinedCmdline = null;
        foreach (var rule in _rules)
        {
            if (rule.Name(proc, ref joinedCmdline) is { } name)
            {
                return name;
            }
        }

        return null;
    }
}
