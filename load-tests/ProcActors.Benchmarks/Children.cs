namespace ProcActors.Benchmarks;

/// <summary>
/// <c>sleep 600</c> children started to give a scan a realistic process table. Dispose kills and reaps exactly
/// these (each is our unreaped child, so its pid cannot have been reused): no other process is ever signalled.
/// </summary>
public sealed class Children : IDisposable
{
    private readonly List<int> _pids = [];

    public int Count => _pids.Count;

    public static Children SpawnSleepers(int count)
    {
        var sleep = new[] { "/usr/bin/sleep", "/bin/sleep" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("no sleep binary in /usr/bin or /bin");
        var children = new Children();
        try
        {
            for (var i = 0; i < count; i++) children._pids.Add(Native.Spawn(sleep, ["sleep", "600"]));
        }
        catch
        {
            children.Dispose();
            throw;
        }
        return children;
    }

    public void Dispose()
    {
        foreach (var pid in _pids) Native.KillChild(pid);
        var reaped = 0;
        foreach (var pid in _pids)
        {
            if (Native.Reap(pid)) reaped++;
        }
        if (reaped != _pids.Count) Console.Error.WriteLine($"warning: reaped {reaped} of {_pids.Count} children");
        _pids.Clear();
    }
}
