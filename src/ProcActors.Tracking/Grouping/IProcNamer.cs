using ProcActors.Procfs;

namespace ProcActors.Tracking.Grouping;

/// <summary>Decides the group of a newly seen process from its static facts; null when no rule matches it.</summary>
public interface IProcNamer
{
    string? Name(ProcStatic proc);
}
