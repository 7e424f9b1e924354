using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

public sealed class UptimeParserTests
{
    [Fact]
    public void Parses_a_real_uptime_into_clock_ticks()
    {
        Assert.True(UptimeParser.TryParseTicks(Fixtures.Bytes("uptime"), 100, out var ticks));

        Assert.Equal(230861UL, ticks);
    }

    [Theory]
    [InlineData("2308.61 4585.72\n", 100, 230861UL)]
    [InlineData("2308.61 4585.72\n", 1000, 2308610UL)]
    [InlineData("2308.61 4585.72\n", 250, 577152UL)] // 2308 * 250 + 61 * 250 / 100 = 577000 + 152
    [InlineData("12.5 3.0\n", 100, 1250UL)] // one decimal is tenths
    [InlineData("12.05 3.0\n", 100, 1205UL)]
    [InlineData("12.50 3.00\n", 100, 1250UL)]
    [InlineData("12.999 3.0\n", 100, 1299UL)] // beyond hundredths is cut, not rounded
    [InlineData("12 3\n", 100, 1200UL)]
    [InlineData("12. 3\n", 100, 1200UL)]
    [InlineData("0.00 0.00\n", 100, 0UL)]
    [InlineData("0.01", 100, 1UL)]
    [InlineData("  7.25 1.00", 100, 725UL)]
    public void Converts_seconds_and_hundredths(string content, int ticksPerSecond, ulong expected)
    {
        Assert.True(UptimeParser.TryParseTicks(Fixtures.Utf8(content), ticksPerSecond, out var ticks));

        Assert.Equal(expected, ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData(".5 1.0\n")]
    [InlineData("x.5 1.0\n")]
    [InlineData("5.x 1.0\n")]
    [InlineData("-5.5 1.0\n")]
    [InlineData("5.-5 1.0\n")]
    [InlineData("18446744073709552.00 1.0\n")] // too many seconds to count in ticks
    public void Rejects_malformed_uptime(string content)
    {
        Assert.False(UptimeParser.TryParseTicks(Fixtures.Utf8(content), 100, out _));
    }
}
