using ProcActors.Testing;
using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

public sealed class SmapsRollupParserTests
{
    [Fact]
    public void Parses_a_real_process()
    {
        Assert.True(SmapsRollupParser.TryParse(Fixtures.Bytes("smaps_rollup_sleep"), out var rollup));

        Assert.Equal(495UL * 1024, rollup.ProportionalBytes);
        Assert.Equal(0UL, rollup.ProportionalSwapBytes);
    }

    [Fact]
    public void Takes_Pss_and_SwapPss_not_their_Pss_prefixed_neighbours()
    {
        Assert.True(SmapsRollupParser.TryParse(Fixtures.Utf8(ProcText.SmapsRollup(pssKb: 4321, swapPssKb: 77)), out var rollup));

        Assert.Equal(4321UL * 1024, rollup.ProportionalBytes);
        Assert.Equal(77UL * 1024, rollup.ProportionalSwapBytes);
    }

    [Fact]
    public void Without_SwapPss_the_swap_is_zero()
    {
        var text = ProcText.SmapsRollup(pssKb: 12, swapPssKb: null);
        Assert.DoesNotContain("SwapPss", text, StringComparison.Ordinal);

        Assert.True(SmapsRollupParser.TryParse(Fixtures.Utf8(text), out var rollup));

        Assert.Equal(12UL * 1024, rollup.ProportionalBytes);
        Assert.Equal(0UL, rollup.ProportionalSwapBytes);
    }

    [Fact]
    public void The_real_fixture_without_its_SwapPss_line_parses()
    {
        var lines = Fixtures.Text("smaps_rollup_sleep").Split('\n').Where(l => !l.StartsWith("SwapPss:", StringComparison.Ordinal));

        Assert.True(SmapsRollupParser.TryParse(Fixtures.Utf8(string.Join('\n', lines)), out var rollup));

        Assert.Equal(495UL * 1024, rollup.ProportionalBytes);
        Assert.Equal(0UL, rollup.ProportionalSwapBytes);
    }

    [Theory]
    [InlineData("")] // a kernel thread's (empty) rollup
    [InlineData("558d1133c000-7fff8489f000 ---p 00000000 00:00 0                          [rollup]\nRss:  1 kB\n")]
    [InlineData("Pss_Anon:  1 kB\nSwapPss:  1 kB\n")]
    [InlineData("Pss:  x kB\n")]
    [InlineData("Pss:  1 MB\n")]
    [InlineData("Pss:  1 kB\nSwapPss:  -1 kB\n")]
    public void Rejects_a_rollup_without_a_valid_Pss(string content)
    {
        Assert.False(SmapsRollupParser.TryParse(Fixtures.Utf8(content), out _));
    }
}
