using ProcActors.Procfs.Taskstats;

namespace ProcActors.Actors.Exits;

/// <summary>How the work of processes that exit between two scans is counted (--exit-accounting).</summary>
public enum ExitAccountingMode
{
    /// <summary>taskstats when the kernel lets us register and -procfs is our own /proc; else children, or off for a tree that is not a live /proc.</summary>
    Auto,
    /// <summary>Every exit's record from the kernel: exact for every process.</summary>
    Taskstats,
    /// <summary>The reaped children's CPU a parent's stat reports (cutime/cstime): CPU only, waited-for children only.</summary>
    Children,
    Off,
}

/// <summary>The exit accounting chosen at start, why, and (for taskstats) the reader of the kernel's exit records.</summary>
public sealed class ExitSource : IDisposable
{
    private ExitSource(ExitAccountingMode mode, string reason, ExitRecordReader? reader)
    {
        Mode = mode;
        Reason = reason;
        Reader = reader;
    }

    /// <summary>Taskstats, Children or Off: never Auto.</summary>
    public ExitAccountingMode Mode { get; }

    public string Reason { get; }

    public ExitRecordReader? Reader { get; }

    /// <summary>Exit records received from the kernel.</summary>
    public long Records => Reader?.Records ?? 0;

    /// <summary>Kernel buffer overflows (each at least one record lost) and records dropped by a full queue.</summary>
    public long Lost => Reader is null ? 0 : Reader.Overflows + Reader.Dropped;

    /// <summary>
    /// With taskstats, the CPU of exits that no record holds (their teardown), restored from their reapers' reaped-children
    /// CPU by the scanner (<see cref="Tracking.Exits.ExitTeardownSink"/>), in nanoseconds.
    /// </summary>
    public long TeardownNanos
    {
        get => Interlocked.Read(ref _teardownNanos);
        set => Interlocked.Exchange(ref _teardownNanos, value);
    }

    private long _teardownNanos;

    /// <summary>CPU of the scan thread attributing exit records between scans (not part of any scan's CPU).</summary>
    public TimeSpan AheadCpu => TimeSpan.FromTicks(Interlocked.Read(ref _aheadCpuTicks));

    public void AddAheadCpu(TimeSpan cpu) => Interlocked.Add(ref _aheadCpuTicks, cpu.Ticks);

    private long _aheadCpuTicks;

    public static ExitSource Off(string reason) => new(ExitAccountingMode.Off, reason, null);

    /// <summary>
    /// Chooses the mode, and says why. taskstats asked for but not available falls back like auto, saying so: an
    /// agent started by systemd must not crash-loop over a missing capability.
    /// </summary>
    public static ExitSource Open(ExitAccountingMode requested, string procfsRoot)
    {
        switch (requested)
        {
            case ExitAccountingMode.Off:
                return Off("--exit-accounting off");
            case ExitAccountingMode.Children:
                return new ExitSource(ExitAccountingMode.Children, "--exit-accounting children: reaped children's CPU from their parent's stat", null);
        }
        if (!LiveProcfs.IsOwn(procfsRoot, out var notOwn))
        {
            // Exit records would describe this kernel's processes, not the tree scanned.
            return Off($"{Asked(requested)}{notOwn}: exit records would not describe the processes scanned");
        }
        var reader = ExitRecordReader.TryStart(out var error);
        if (reader is not null)
        {
            var connection = reader.Connection;
            return new ExitSource(ExitAccountingMode.Taskstats,
                $"taskstats exit records registered for CPUs {connection.Cpus}, socket buffer {connection.ReceiveBufferBytes / (1024 * 1024)} MB", reader);
        }
        return new ExitSource(ExitAccountingMode.Children, $"{Asked(requested)}{error}: falling back to reaped children's CPU from their parent's stat (CPU only, waited-for children only)", null);
    }

    public void Dispose() => Reader?.Dispose();

    private static string Asked(ExitAccountingMode requested) =>
        requested == ExitAccountingMode.Taskstats ? "--exit-accounting taskstats is not available: " : string.Empty;
}
