using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace ProcActors.Host;

public enum StoreKind
{
    None,
    Sqlite,
    Postgres,
}

/// <summary>
/// Where the counters are kept across restarts: --persistence sqlite:&lt;path&gt; (the default, a file under the data
/// folder), postgres:&lt;connection string&gt;, or none.
/// </summary>
public sealed record PersistenceOption(StoreKind Kind, string ConnectionString, string Description)
{
    public static PersistenceOption Default => Sqlite(Path.Combine(DataFolder(), "procactors.db"));

    /// <summary>systemd's StateDirectory= when the agent runs as a service, else ./data.</summary>
    public static string DataFolder() =>
        Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } state ? state.Split(':')[0] : Path.GetFullPath("data");

    /// <summary>Where unreadable snapshots are copied when set aside: beside the SQLite file, else in the data folder.</summary>
    public string QuarantineFolder =>
        Kind == StoreKind.Sqlite
            ? Path.Combine(Path.GetDirectoryName(new SqliteConnectionStringBuilder(ConnectionString).DataSource)!, "quarantine")
            : Path.Combine(DataFolder(), "quarantine");

    public static PersistenceOption Parse(string value) => Parse(value, native: !RuntimeFeature.IsDynamicCodeSupported);

    /// <param name="native">The natively compiled agent (README, "A native build"): linq2db's PostgreSQL provider
    /// creates types at run time that were not compiled ahead of it, so it is refused here, at start, with the reason,
    /// rather than failing every save and load later.</param>
    internal static PersistenceOption Parse(string value, bool native)
    {
        if (value == "none") return new PersistenceOption(StoreKind.None, string.Empty, "none (counters start from zero at every start)");
        if (value.StartsWith("sqlite:", StringComparison.Ordinal) && value.Length > "sqlite:".Length)
            return Sqlite(Path.GetFullPath(value["sqlite:".Length..]));
        if (value.StartsWith("postgres:", StringComparison.Ordinal) && value.Length > "postgres:".Length)
        {
            if (native)
                throw new UsageException("-persistence postgres: needs the JIT-compiled agent (dotnet publish without -p:PublishAot=true); the native build keeps its counters in SQLite only");
            return new PersistenceOption(StoreKind.Postgres, value["postgres:".Length..], "PostgreSQL");
        }
        throw new UsageException($"invalid value \"{value}\" for -persistence: use sqlite:<path>, postgres:<connection string> or none");
    }

    private static PersistenceOption Sqlite(string path) =>
        new(StoreKind.Sqlite, new SqliteConnectionStringBuilder { DataSource = path, Cache = SqliteCacheMode.Shared }.ToString(), $"SQLite file {path}");

    /// <summary>
    /// Creates the SQLite file's folder and turns on write-ahead logging: a committed snapshot survives kill -9, and
    /// a scrape-time reader never waits on the writer. Run before each attempt to load the saved counters: a file
    /// locked by another process fails here within seconds, and the agent retries while it monitors.
    /// </summary>
    public void Prepare()
    {
        if (Kind != StoreKind.Sqlite) return;
        var path = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(ConnectionString) { DefaultTimeout = 2 }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }
}
