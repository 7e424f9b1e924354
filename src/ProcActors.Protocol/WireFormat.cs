using System.Buffers;
using System.Runtime.Serialization;
using MessagePack;

namespace ProcActors.Protocol;

/// <summary>
/// The protocol's binary form: each record is a MessagePack array of its fields in declaration order. A reader takes
/// the fields it knows and skips any later ones, so a v2 record may gain trailing fields without a new manifest;
/// anything else (a field removed, retyped or reordered) is a new manifest version. Written by hand rather than by
/// attribute-driven formatters so that the records stay plain and the layout is visible in one place.
/// </summary>
internal static class WireFormat
{
    public static byte[] Write(object message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var w = new MessagePackWriter(buffer);
        switch (message)
        {
            case GetAgentStatus or GetNodes: w.WriteArrayHeader(0); break;
            case GetGroups m: w.WriteArrayHeader(3); w.Write(m.KnownCycle); w.Write(m.Page); w.Write(m.Cycle); break;
            case Unchanged m: w.WriteArrayHeader(2); w.Write(m.Node); w.Write(m.Version); break;
            case GetFleetGroups m: w.WriteArrayHeader(3); w.Write(m.Page); w.Write(m.View); w.Write(m.KnownView); break;
            case GetGroup m: w.WriteArrayHeader(3); w.Write(m.Name); w.Write(m.Page); w.Write(m.Cycle); break;
            case GetTop m: w.WriteArrayHeader(5); w.Write(m.N); w.Write((int)m.By); w.Write(m.KnownCycle); w.Write(m.Page); w.Write(m.Cycle); break;
            case GetFleetTop m: w.WriteArrayHeader(2); w.Write(m.N); w.Write((int)m.By); break;
            case AskNode m:
                if (!AskNode.IsNodeQuery(m.Query)) throw new ArgumentException($"{m.Query.GetType().Name} cannot be routed to a node", nameof(message));
                w.WriteArrayHeader(3); w.Write(m.Node); w.Write(ProtocolSerializer.ManifestOf(m.Query)); w.Write(Write(m.Query)); break;
            case GroupsResponse m:
                w.WriteArrayHeader(6); w.Write(m.Node); w.Write(m.Cycle); Time(ref w, m.UpdatedAt); List(ref w, m.Groups, Group);
                w.Write(m.Page); w.Write(m.Pages); break;
            case GroupResponse m:
                w.WriteArrayHeader(6); w.Write(m.Node); w.Write(m.Cycle);
                if (m.Group is null) w.WriteNil(); else Group(ref w, m.Group);
                List(ref w, m.Members, Process); w.Write(m.Page); w.Write(m.Pages); break;
            case TopResponse m:
                w.WriteArrayHeader(6); w.Write(m.Node); w.Write(m.Cycle); w.Write((int)m.By); List(ref w, m.Processes, Process);
                w.Write(m.Page); w.Write(m.Pages); break;
            case AgentStatusResponse m:
                w.WriteArrayHeader(15); w.Write(m.Node); w.Write(m.Version); w.Write(m.StartedAt.UtcTicks); w.Write(m.Cycles);
                w.Write(m.LastScanDuration.Ticks); w.Write(m.LastUpdateLatency.Ticks); w.Write(m.ProcessesListed); w.Write(m.ProcessesTracked);
                w.Write(m.Groups); w.Write(m.ScrapeErrors); w.Write(m.ReadErrors); w.Write(m.PermissionErrors); w.Write(m.PartialErrors);
                w.Write(m.SkippedIntervals); w.Write(m.BackwardsCounters); break;
            case NodeSummary m:
                w.WriteArrayHeader(8); w.Write(m.Node); w.Write(m.Address); w.Write(m.Version); w.Write(m.Cycle); Time(ref w, m.UpdatedAt);
                w.Write(m.Processes); List(ref w, m.Groups, Group); List(ref w, m.Top, Process); break;
            case NodesResponse m: w.WriteArrayHeader(2); w.Write(m.AnsweredBy); List(ref w, m.Nodes, Node); break;
            case FleetGroupsResponse m:
                w.WriteArrayHeader(6); w.Write(m.AnsweredBy);
                List(ref w, m.Groups, static (ref MessagePackWriter w, NodeGroup g) => { w.WriteArrayHeader(3); w.Write(g.Node); w.Write((int)g.Status); Group(ref w, g.Group); });
                List(ref w, m.Merged, Group); w.Write(m.Page); w.Write(m.Pages); w.Write(m.View); break;
            case FleetTopResponse m:
                w.WriteArrayHeader(3); w.Write(m.AnsweredBy); w.Write((int)m.By);
                List(ref w, m.Processes, static (ref MessagePackWriter w, NodeProcess p) => { w.WriteArrayHeader(2); w.Write(p.Node); Process(ref w, p.Process); }); break;
            case NodeUnavailable m: w.WriteArrayHeader(2); w.Write(m.Node); w.Write(m.Reason); break;
            default: throw new ArgumentException($"{message.GetType()} is not part of the ProcActors protocol", nameof(message));
        }
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static object Read(Type type, ReadOnlyMemory<byte> bytes)
    {
        var r = new MessagePackReader(bytes);
        var fields = r.ReadArrayHeader();
        object message;
        if (type == typeof(GetGroups))
        {
            var known = fields >= 1 ? r.ReadInt64() : 0;
            message = fields >= 3 ? new GetGroups(known, r.ReadInt32(), r.ReadInt64()) : known != 0 ? new GetGroups(known) : GetGroups.Instance;
        }
        else if (type == typeof(GetAgentStatus)) message = GetAgentStatus.Instance;
        else if (type == typeof(GetNodes)) message = GetNodes.Instance;
        else if (type == typeof(GetFleetGroups)) message = fields >= 3 ? new GetFleetGroups(r.ReadInt32(), r.ReadInt64(), r.ReadInt64()) : GetFleetGroups.Instance;
        else if (type == typeof(GetGroup)) message = fields >= 3 ? new GetGroup(Text(ref r), r.ReadInt32(), r.ReadInt64()) : new GetGroup(Text(ref r));
        else if (type == typeof(GetTop))
            message = fields >= 5 ? new GetTop(r.ReadInt32(), By(ref r), r.ReadInt64(), r.ReadInt32(), r.ReadInt64())
                : new GetTop(r.ReadInt32(), By(ref r), fields >= 3 ? r.ReadInt64() : 0);
        else if (type == typeof(GetFleetTop)) message = new GetFleetTop(r.ReadInt32(), By(ref r));
        else if (type == typeof(AskNode))
        {
            var node = Text(ref r);
            var manifest = Text(ref r);
            var inner = r.ReadBytes() ?? throw new SerializationException("AskNode without its query");
            var query = ProtocolSerializer.Deserialize(inner.ToArray(), manifest);
            if (!AskNode.IsNodeQuery(query)) throw new SerializationException($"{manifest} cannot be routed to a node");
            message = new AskNode(node, query);
        }
        else if (type == typeof(GroupsResponse))
        {
            var answer = new GroupsResponse(Text(ref r), r.ReadInt64(), Time(ref r), List(ref r, Group));
            message = fields >= 6 ? answer with { Page = r.ReadInt32(), Pages = r.ReadInt32() } : answer;
        }
        else if (type == typeof(GroupResponse))
        {
            var answer = new GroupResponse(Text(ref r), r.ReadInt64(), r.TryReadNil() ? null : Group(ref r), List(ref r, Process));
            message = fields >= 6 ? answer with { Page = r.ReadInt32(), Pages = r.ReadInt32() } : answer;
        }
        else if (type == typeof(TopResponse))
        {
            var answer = new TopResponse(Text(ref r), r.ReadInt64(), By(ref r), List(ref r, Process));
            message = fields >= 6 ? answer with { Page = r.ReadInt32(), Pages = r.ReadInt32() } : answer;
        }
        else if (type == typeof(AgentStatusResponse))
            message = new AgentStatusResponse(Text(ref r), Text(ref r), new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero), r.ReadInt64(),
                TimeSpan.FromTicks(r.ReadInt64()), TimeSpan.FromTicks(r.ReadInt64()), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(),
                r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64());
        else if (type == typeof(NodeSummary))
            message = new NodeSummary(Text(ref r), Text(ref r), Text(ref r), r.ReadInt64(), Time(ref r), r.ReadInt32(), List(ref r, Group), List(ref r, Process));
        else if (type == typeof(NodesResponse)) message = new NodesResponse(Text(ref r), List(ref r, Node));
        else if (type == typeof(FleetGroupsResponse))
            message = new FleetGroupsResponse(Text(ref r),
                List(ref r, static (ref MessagePackReader r) => Fields(ref r, r.ReadArrayHeader(), new NodeGroup(Text(ref r), Status(ref r), Group(ref r)), expected: 3)),
                List(ref r, Group), fields >= 6 ? r.ReadInt32() : 0, fields >= 6 ? r.ReadInt32() : 1, fields >= 6 ? r.ReadInt64() : 0);
        else if (type == typeof(FleetTopResponse))
            message = new FleetTopResponse(Text(ref r), By(ref r),
                List(ref r, static (ref MessagePackReader r) => Fields(ref r, r.ReadArrayHeader(), new NodeProcess(Text(ref r), Process(ref r)), expected: 2)));
        else if (type == typeof(NodeUnavailable)) message = new NodeUnavailable(Text(ref r), Text(ref r));
        else if (type == typeof(Unchanged)) message = new Unchanged(Text(ref r), r.ReadInt64());
        else throw new SerializationException($"{type} is not part of the ProcActors protocol");
        return Fields(ref r, fields, message, expected: Consumed(type, fields));
    }

    /// <summary>The field count each record is written with: fewer is a truncated or foreign message.</summary>
    private static int Expected(Type type) => FieldCounts.TryGetValue(type, out var count) ? count : 0;

    /// <summary>
    /// Fields read: the required ones, plus the optional trailing ones when the writer sent them. Each entry of
    /// <see cref="OptionalFields"/> is a field count a v2 writer has used, oldest first (the last is today's).
    /// </summary>
    private static int Consumed(Type type, int fields)
    {
        var consumed = Expected(type);
        if (OptionalFields.TryGetValue(type, out var counts))
        {
            foreach (var count in counts)
            {
                if (fields >= count) consumed = count;
            }
        }
        return consumed;
    }

    /// <summary>Trailing fields added within v2 (known cycles, then paging): absent in messages from older writers, defaults then.</summary>
    private static readonly Dictionary<Type, int[]> OptionalFields = new()
    {
        [typeof(GetFleetGroups)] = [3], [typeof(FleetGroupsResponse)] = [6], [typeof(GetGroups)] = [1, 3], [typeof(GetTop)] = [3, 5],
        [typeof(GetGroup)] = [3], [typeof(GroupsResponse)] = [6], [typeof(GroupResponse)] = [6], [typeof(TopResponse)] = [6],
    };

    private static readonly Dictionary<Type, int> FieldCounts = new()
    {
        [typeof(GetGroup)] = 1, [typeof(GetTop)] = 2, [typeof(GetFleetTop)] = 2, [typeof(AskNode)] = 3, [typeof(GroupsResponse)] = 4,
        [typeof(GroupResponse)] = 4, [typeof(TopResponse)] = 4, [typeof(AgentStatusResponse)] = 15, [typeof(NodeSummary)] = 8,
        [typeof(NodesResponse)] = 2, [typeof(FleetGroupsResponse)] = 3, [typeof(FleetTopResponse)] = 3, [typeof(NodeUnavailable)] = 2, [typeof(Unchanged)] = 2,
    };

    /// <summary>Skips the trailing fields a newer writer added (the known ones were read already).</summary>
    private static T Fields<T>(ref MessagePackReader r, int fields, T value, int? expected = null)
    {
        var known = expected ?? fields;
        if (fields < known) throw new SerializationException($"{typeof(T).Name} with {fields} fields, expected at least {known}");
        for (var i = known; i < fields; i++) r.Skip();
        return value;
    }

    private delegate void Writer<in T>(ref MessagePackWriter w, T value);

    private delegate T Reader<out T>(ref MessagePackReader r);

    private static void List<T>(ref MessagePackWriter w, IReadOnlyList<T> items, Writer<T> write)
    {
        w.WriteArrayHeader(items.Count);
        foreach (var item in items) write(ref w, item);
    }

    private static T[] List<T>(ref MessagePackReader r, Reader<T> read)
    {
        var count = r.ReadArrayHeader();
        var items = new T[count];
        for (var i = 0; i < count; i++) items[i] = read(ref r);
        return items;
    }

    private static string Text(ref MessagePackReader r) => r.ReadString() ?? throw new SerializationException("a required text field is nil");

    private static TopBy By(ref MessagePackReader r) =>
        r.ReadInt32() is var by && Enum.IsDefined((TopBy)by) ? (TopBy)by : throw new SerializationException($"unknown measure {by}");

    private static NodeStatus Status(ref MessagePackReader r) =>
        r.ReadInt32() is var status && Enum.IsDefined((NodeStatus)status) ? (NodeStatus)status : throw new SerializationException($"unknown node status {status}");

    private static void Time(ref MessagePackWriter w, DateTimeOffset? time)
    {
        if (time is { } t) w.Write(t.UtcTicks);
        else w.WriteNil();
    }

    private static DateTimeOffset? Time(ref MessagePackReader r) => r.TryReadNil() ? null : new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero);

    private static void Group(ref MessagePackWriter w, GroupSummary g)
    {
        w.WriteArrayHeader(25);
        w.Write(g.Name); w.Write(g.Procs); w.Write(g.CpuUserSeconds); w.Write(g.CpuSystemSeconds); w.Write(g.ReadBytes); w.Write(g.WriteBytes);
        w.Write(g.MajorPageFaults); w.Write(g.MinorPageFaults); w.Write(g.VoluntaryContextSwitches); w.Write(g.NonvoluntaryContextSwitches);
        w.Write(g.ResidentBytes); w.Write(g.VirtualBytes); w.Write(g.SwappedBytes); w.Write(g.ProportionalResidentBytes);
        w.Write(g.ProportionalSwappedBytes); w.Write(g.OpenFileDescriptors); w.Write(g.WorstFdRatio); Time(ref w, g.OldestStartTime);
        w.Write(g.NumThreads);
        w.WriteArrayHeader(5); w.Write(g.States.Running); w.Write(g.States.Sleeping); w.Write(g.States.Waiting); w.Write(g.States.Zombie); w.Write(g.States.Other);
        w.Write(g.CpuPercent); w.Write(g.ReadBytesPerSecond); w.Write(g.WriteBytesPerSecond);
        w.Write(g.ExitedUnseen); w.Write(g.ExitedUnseenCpuSeconds);
    }

    private static GroupSummary Group(ref MessagePackReader r)
    {
        var fields = r.ReadArrayHeader();
        var g = new GroupSummary(Text(ref r), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadUInt64(), r.ReadUInt64(),
            r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(),
            r.ReadUInt64(), r.ReadUInt64(), r.ReadDouble(), Time(ref r), r.ReadUInt64(), States(ref r), r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
        // Short-lived work (exit accounting), added within v2: absent from older writers' groups.
        if (fields < 25) return Fields(ref r, fields, g, expected: 23);
        g = g with { ExitedUnseen = r.ReadInt64(), ExitedUnseenCpuSeconds = r.ReadDouble() };
        return Fields(ref r, fields, g, expected: 25);
    }

    private static StateCounts States(ref MessagePackReader r)
    {
        var fields = r.ReadArrayHeader();
        return Fields(ref r, fields, new StateCounts(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32()), expected: 5);
    }

    private static void Process(ref MessagePackWriter w, ProcessSummary p)
    {
        w.WriteArrayHeader(8);
        w.Write(p.Pid); w.Write(p.Group); w.Write(p.Name);
        w.WriteArrayHeader(p.Cmdline.Count);
        foreach (var arg in p.Cmdline) w.Write(arg);
        Time(ref w, p.StartTime); w.Write(p.CpuPercent); w.Write(p.ResidentBytes); w.Write(p.IoBytesPerSecond);
    }

    private static ProcessSummary Process(ref MessagePackReader r)
    {
        var fields = r.ReadArrayHeader();
        var p = new ProcessSummary(r.ReadInt32(), Text(ref r), Text(ref r), List(ref r, Text), Time(ref r), r.ReadDouble(), r.ReadUInt64(), r.ReadDouble());
        return Fields(ref r, fields, p, expected: 8);
    }

    private static void Node(ref MessagePackWriter w, NodeInfo n)
    {
        w.WriteArrayHeader(7);
        w.Write(n.Name); w.Write(n.Address); w.Write((int)n.Status); w.Write(n.Cycle); Time(ref w, n.LastCycleAt); w.Write(n.Processes); w.Write(n.Version);
    }

    private static NodeInfo Node(ref MessagePackReader r)
    {
        var fields = r.ReadArrayHeader();
        return Fields(ref r, fields, new NodeInfo(Text(ref r), Text(ref r), Status(ref r), r.ReadInt64(), Time(ref r), r.ReadInt32(), Text(ref r)), expected: 7);
    }
}
