using ProcActors.Protocol;

namespace ProcActors.Fleet;

/// <summary>
/// Follows membership events and node summaries into a <see cref="FleetView"/>. Hosts are keyed by node name; a
/// host that restarts comes back as a new incarnation (new uid) at the same name, and events about its previous
/// incarnation are then ignored.
/// </summary>
public sealed class FleetState(string self, TimeSpan leftRetention)
{
    private readonly Dictionary<string, FleetMember> _members = new(StringComparer.Ordinal);
    private FleetView? _view;

    public FleetView View => _view ??= new FleetView(self, [.. _members.Values.OrderBy(m => m.Name, StringComparer.Ordinal)]);

    public void Joining(string name, string address, long uid, DateTimeOffset now) => Incarnation(name, address, uid, NodeStatus.Joining, now);

    public void Up(string name, string address, long uid, DateTimeOffset now) => Incarnation(name, address, uid, NodeStatus.Up, now);

    public void Unreachable(string name, long uid, DateTimeOffset now) => Status(name, uid, NodeStatus.Unreachable, now);

    public void Reachable(string name, long uid, DateTimeOffset now) => Status(name, uid, NodeStatus.Up, now);

    public void Left(string name, long uid, DateTimeOffset now) => Status(name, uid, NodeStatus.Left, now);

    public void Summary(NodeSummary summary, DateTimeOffset now)
    {
        if (_members.TryGetValue(summary.Node, out var member))
        {
            // A summary sent before a cycle that already arrived (pub-sub does not order across restarts) is older news.
            if (member.Summary is { } known && known.Address == summary.Address && known.Cycle > summary.Cycle) return;
            Set(member with { Summary = summary });
        }
        else
        {
            Set(new FleetMember(summary.Node, summary.Address, 0, NodeStatus.Joining, now, summary));
        }
    }

    /// <summary>Forgets hosts that left longer ago than the retention; true when the view changed.</summary>
    public bool Prune(DateTimeOffset now)
    {
        var gone = _members.Values.Where(m => m.Status == NodeStatus.Left && now - m.Since > leftRetention).Select(m => m.Name).ToList();
        foreach (var name in gone) _members.Remove(name);
        if (gone.Count > 0) _view = null;
        return gone.Count > 0;
    }

    private void Incarnation(string name, string address, long uid, NodeStatus status, DateTimeOffset now)
    {
        if (_members.TryGetValue(name, out var member))
        {
            if (member.Uid == uid && member.Status == status) return;
            // Up after joining, or a new incarnation: the last summary stays until the new one sends its own.
            Set(member with { Address = address, Uid = uid, Status = status, Since = now });
        }
        else
        {
            Set(new FleetMember(name, address, uid, status, now, null));
        }
    }

    private void Status(string name, long uid, NodeStatus status, DateTimeOffset now)
    {
        if (!_members.TryGetValue(name, out var member) || member.Uid != uid || member.Status == status) return;
        Set(member with { Status = status, Since = now });
    }

    private void Set(FleetMember member)
    {
        _members[member.Name] = member;
        _view = null;
    }
}
