namespace ProcActors.Procfs.Tests;

public sealed class ModelTests
{
    [Theory]
    [InlineData('R', 1, 0, 0, 0, 0)]
    [InlineData('S', 0, 1, 0, 0, 0)]
    [InlineData('D', 0, 0, 1, 0, 0)]
    [InlineData('Z', 0, 0, 0, 1, 0)]
    [InlineData('I', 0, 0, 0, 0, 1)]
    [InlineData('T', 0, 0, 0, 0, 1)]
    [InlineData('t', 0, 0, 0, 0, 1)]
    [InlineData('X', 0, 0, 0, 0, 1)]
    public void A_state_lands_in_its_bucket(char state, int running, int sleeping, int waiting, int zombie, int other)
    {
        var states = new ThreadStates();

        states.Add((byte)state);

        Assert.Equal(new ThreadStates { Running = running, Sleeping = sleeping, Waiting = waiting, Zombie = zombie, Other = other }, states);
        Assert.Equal(1, states.Total);
    }

    [Fact]
    public void States_add_up()
    {
        var a = new ThreadStates { Running = 1, Sleeping = 2, Waiting = 3, Zombie = 4, Other = 5 };
        var b = new ThreadStates { Running = 10, Sleeping = 20, Waiting = 30, Zombie = 40, Other = 50 };

        a.Add(b);

        Assert.Equal(new ThreadStates { Running = 11, Sleeping = 22, Waiting = 33, Zombie = 44, Other = 55 }, a);
        Assert.Equal(165, a.Total);
    }

    [Fact]
    public void Start_time_is_boot_time_plus_ticks()
    {
        var system = new SystemInfo(BootTimeSeconds: 1_795_683_877, ClockTicksPerSecond: 100, PageSize: 4096);

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_795_683_877), system.StartTimeOf(0));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_795_683_877 + 2319).AddMilliseconds(990), system.StartTimeOf(231999));
        Assert.Equal(TimeSpan.Zero, system.StartTimeOf(5).Offset);
    }

    [Fact]
    public void Seconds_of_ticks()
    {
        var system = new SystemInfo(0, 250, 4096);

        Assert.Equal(1.5, system.Seconds(375));
        Assert.Equal(0.0, system.Seconds(0));
    }
}
