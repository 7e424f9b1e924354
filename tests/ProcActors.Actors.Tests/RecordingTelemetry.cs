namespace ProcActors.Actors.Tests;

/// <summary>Counts what the pipeline reports to its telemetry.</summary>
internal sealed class RecordingTelemetry : IAgentTelemetry
{
    private int _scans;
    private int _updates;

    public int Scans => Volatile.Read(ref _scans);

    public int Updates => Volatile.Read(ref _updates);

    public void ScanCompleted(TimeSpan duration, TimeSpan cpu) => Interlocked.Increment(ref _scans);

    public void ViewUpdated(TimeSpan latency) => Interlocked.Increment(ref _updates);
}
