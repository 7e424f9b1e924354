using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

public sealed class SystemStatParserTests
{
    [Fact]
    public void Parses_the_boot_time_of_a_real_system()
    {
        Assert.True(SystemStatParser.TryParseBootTime(Fixtures.Bytes("proc_stat"), out var bootTime));

        Assert.Equal(1795683877L, bootTime);
    }

    [Fact]
    public void Parses_btime_on_the_last_line_without_newline()
    {
        Assert.True(SystemStatParser.TryParseBootTime("cpu  1 2 3\nbtime 1700000000"u8, out var bootTime));

        Assert.Equal(1700000000L, bootTime);
    }

    [Theory]
    [InlineData("")]
    [InlineData("cpu  1720 0 499 457483 753 0 19 3 0 0\nctxt 207055\n")]
    [InlineData("btime\n")]
    [InlineData("btime soon\n")]
    [InlineData("btimes 5\n")]
    [InlineData(" btime 5\n")]
    public void Rejects_a_missing_or_malformed_btime(string content)
    {
        Assert.False(SystemStatParser.TryParseBootTime(Fixtures.Utf8(content), out _));
    }
}
