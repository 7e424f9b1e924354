using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

public sealed class CmdlineParserTests
{
    [Fact]
    public void Parses_a_real_command_line()
    {
        Assert.Equal(["sleep", "20"], CmdlineParser.Parse(Fixtures.Bytes("cmdline_sleep")));
    }

    [Fact]
    public void The_trailing_NUL_is_optional()
    {
        var real = Fixtures.Bytes("cmdline_sleep");
        Assert.Equal((byte)0, real[^1]);
        Assert.Equal(["sleep", "20"], CmdlineParser.Parse(real[..^1]));
        Assert.Equal(["sleep", "20"], CmdlineParser.Parse("sleep\u000020"u8));
    }

    [Fact]
    public void A_command_line_rewritten_without_NULs_is_one_argument()
    {
        Assert.Equal(["nginx: master process /usr/sbin/nginx -g daemon off;"], CmdlineParser.Parse("nginx: master process /usr/sbin/nginx -g daemon off;"u8));
    }

    [Fact]
    public void An_empty_command_line_has_no_arguments()
    {
        Assert.Empty(CmdlineParser.Parse([]));
    }

    [Fact]
    public void Empty_arguments_are_kept()
    {
        Assert.Equal([""], CmdlineParser.Parse("\0"u8));
        Assert.Equal(["a", "", "b"], CmdlineParser.Parse("a\0\0b\0"u8));
        Assert.Equal(["a", ""], CmdlineParser.Parse("a\0\0"u8));
    }

    [Fact]
    public void Invalid_UTF8_becomes_the_replacement_character()
    {
        Assert.Equal(["a\uFFFDb", "\uFFFD", "ok"], CmdlineParser.Parse([(byte)'a', 0xFF, (byte)'b', 0, 0xC3, 0, (byte)'o', (byte)'k', 0]));
    }

    [Fact]
    public void Valid_UTF8_is_decoded()
    {
        Assert.Equal(["café", "日本"], CmdlineParser.Parse(Fixtures.Utf8("café\0日本\0")));
    }
}
