namespace ProcActors.Tracking.Grouping;

/// <summary>
/// A grouping configuration (YAML file or -procnames/-namemapping flags) that cannot be used.
/// The message is one line naming where the problem is, fit to print before exiting.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message) : base(OneLine(message))
    {
    }

    public ConfigException(string message, Exception innerException) : base(OneLine(message), innerException)
    {
    }

    // Quoted config values (a regex, a template) may span lines; a log line must not.
    private static string OneLine(string message) =>
        message.Replace("\r", @"\r", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);
}
