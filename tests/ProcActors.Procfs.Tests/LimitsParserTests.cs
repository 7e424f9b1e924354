using ProcActors.Testing;
using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

public sealed class LimitsParserTests
{
    [Fact]
    public void Parses_the_soft_open_files_limit_of_a_real_process()
    {
        Assert.True(LimitsParser.TryParseMaxOpenFiles(Fixtures.Bytes("limits_sleep"), out var limit));

        Assert.Equal(20000UL, limit);
    }

    [Fact]
    public void Takes_the_soft_limit_not_the_hard_one()
    {
        Assert.True(LimitsParser.TryParseMaxOpenFiles(Fixtures.Utf8(ProcText.Limits("1024", "524288")), out var limit));

        Assert.Equal(1024UL, limit);
    }

    [Fact]
    public void Unlimited_is_the_largest_value()
    {
        var content = Fixtures.Text("limits_sleep").Replace("Max open files            20000 ", "Max open files            unlimited ", StringComparison.Ordinal);
        Assert.Contains("unlimited", content.Split('\n').Single(l => l.StartsWith("Max open files", StringComparison.Ordinal)), StringComparison.Ordinal);

        Assert.True(LimitsParser.TryParseMaxOpenFiles(Fixtures.Utf8(content), out var limit));

        Assert.Equal(ulong.MaxValue, limit);
    }

    [Fact]
    public void Other_unlimited_lines_do_not_count()
    {
        // Max cpu time, Max file size, ... are unlimited in the fixture; open files are not.
        Assert.True(LimitsParser.TryParseMaxOpenFiles(Fixtures.Utf8(ProcText.Limits("4096", "unlimited")), out var limit));

        Assert.Equal(4096UL, limit);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Limit                     Soft Limit           Hard Limit           Units     \n")]
    [InlineData("Max open files\n")]
    [InlineData("Max open files            lots                 1024                 files     \n")]
    [InlineData("Max open files            -1                   1024                 files     \n")]
    [InlineData("max open files            1024                 1024                 files     \n")]
    public void Rejects_a_missing_or_malformed_open_files_line(string content)
    {
        Assert.False(LimitsParser.TryParseMaxOpenFiles(Fixtures.Utf8(content), out _));
    }
}
