namespace ProcActors.Testing;

/// <summary>
/// What an SQLite file itself says about its journal mode (bytes 18 and 19 of its header: 1 rollback journal, 2
/// write-ahead log), whoever opened it: a check of the file a store wrote, not of a connection's settings.
/// </summary>
public static class SqliteFileHeader
{
    public static string JournalMode(string path)
    {
        Span<byte> header = stackalloc byte[20];
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        file.ReadExactly(header);
        return (header[18], header[19]) switch
        {
            (2, 2) => "wal",
            (1, 1) => "rollback",
            var (write, read) => $"unknown ({write}, {read})",
        };
    }
}
