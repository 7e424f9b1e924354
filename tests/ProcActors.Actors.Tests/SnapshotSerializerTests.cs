using System.Text;
using System.Text.Json;
using ProcActors.Actors.Persistence;

namespace ProcActors.Actors.Tests;

/// <summary>
/// The snapshot's JSON is generated at build time now; the rows already stored were written by System.Text.Json's
/// reflection with its general defaults. Both must be the same bytes, and a stored row must read back whole.
/// </summary>
public class SnapshotSerializerTests
{
    private static readonly JsonSerializerOptions ReflectionDefaults = new(JsonSerializerDefaults.General);

    private static AgentSnapshot Sample()
    {
        var counts = new CountsSnapshot(1_234, 56, 7_890_123, 4_567, 8, 9_999, 42, ulong.MaxValue);
        return new AgentSnapshot(
            AgentSnapshot.CurrentVersion,
            "host-a",
            new DateTimeOffset(2026, 12, 2, 16, 45, 3, 250, TimeSpan.Zero),
            1_796_000_000,
            null,
            new SnapshotCounters(120, 1, 2, 3, 4, 5, 6, 7, 8),
            [
                new GroupSnapshot("nginx", counts, new Dictionary<string, CountsSnapshot> { ["worker"] = counts with { CpuUserTicks = 7 } }),
                new GroupSnapshot("ünïcode \"quoted\"", counts with { ReadBytes = 0 }, new Dictionary<string, CountsSnapshot>()),
            ],
            [new ProcessSnapshot(4_194_303, 987_654_321, "nginx", counts), new ProcessSnapshot(1, 2, "ünïcode \"quoted\"", counts with { MajorPageFaults = 0 })]);
    }

    [Fact]
    public void Writes_the_bytes_the_reflection_serializer_wrote()
    {
        var serializer = new ProcActorsSerializer(null!);
        var snapshot = Sample();

        var generated = serializer.ToBinary(snapshot);
        var reflection = JsonSerializer.SerializeToUtf8Bytes(snapshot, snapshot.GetType(), ReflectionDefaults);

        Assert.Equal(Encoding.UTF8.GetString(reflection), Encoding.UTF8.GetString(generated));
    }

    [Fact]
    public void Reads_a_row_written_before_whole()
    {
        var serializer = new ProcActorsSerializer(null!);
        var snapshot = Sample();
        var stored = JsonSerializer.SerializeToUtf8Bytes(snapshot, snapshot.GetType(), ReflectionDefaults);

        var read = Assert.IsType<AgentSnapshot>(serializer.FromBinary(stored, ProcActorsSerializer.SnapshotManifest));

        Assert.Equal(snapshot with { Groups = [], Processes = [] }, read with { Groups = [], Processes = [] });
        Assert.Equal(snapshot.Processes, read.Processes);
        Assert.Equal(snapshot.Groups.Select(g => (g.Name, g.Counts)), read.Groups.Select(g => (g.Name, g.Counts)));
        Assert.Equal(snapshot.Groups.SelectMany(g => g.Threads), read.Groups.SelectMany(g => g.Threads));
    }

    [Fact]
    public void An_unreadable_row_is_set_aside_not_thrown()
    {
        var serializer = new ProcActorsSerializer(null!);

        Assert.IsType<UnreadableSnapshot>(serializer.FromBinary("{\"Version\": \"x\""u8.ToArray(), ProcActorsSerializer.SnapshotManifest));
        Assert.IsType<UnreadableSnapshot>(serializer.FromBinary("{\"Version\": 99}"u8.ToArray(), ProcActorsSerializer.SnapshotManifest));
        Assert.Throws<ArgumentException>(() => serializer.ToBinary("not a snapshot"));
    }
}
