namespace ProcActors.Fleet;

/// <summary>
/// The latest fleet view, read without locks by /metrics/fleet and the gateway. It outlives the cluster's actor
/// system: after a downing the last view is served (its hosts flagged) until the new system has rebuilt it.
/// </summary>
public sealed class FleetViewStore(string self)
{
    private volatile FleetView _current = FleetView.Empty(self);

    public FleetView Current => _current;

    public void Publish(FleetView view) => _current = view;
}
