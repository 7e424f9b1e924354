using ProcActors.Procfs;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Benchmarks;

/// <summary>Tracks every process, grouped by its command name: the most work a scan can be given.</summary>
public sealed class CommNamer : IProcNamer
{
    public string? Name(ProcStatic proc) => proc.Name;
}
