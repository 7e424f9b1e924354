using ProcActors.Testing;
using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

public sealed class IoParserTests
{
    [Fact]
    public void Parses_a_real_process_reading_the_storage_layer_bytes_not_rchar_wchar()
    {
        Assert.True(IoParser.TryParse(Fixtures.Bytes("io_sleep"), out var io));

        Assert.Equal(151552UL, io.ReadBytes);
        Assert.Equal(1064960UL, io.WriteBytes);
    }

    [Fact]
    public void Parses_the_full_range()
    {
        Assert.True(IoParser.TryParse(Fixtures.Utf8(ProcText.Io(ulong.MaxValue, 0)), out var io));

        Assert.Equal(ulong.MaxValue, io.ReadBytes);
        Assert.Equal(0UL, io.WriteBytes);
    }

    [Fact]
    public void Order_and_unknown_lines_do_not_matter()
    {
        Assert.True(IoParser.TryParse("write_bytes: 2\nsomething new: 7\ngarbage\nread_bytes: 1"u8, out var io));

        Assert.Equal(1UL, io.ReadBytes);
        Assert.Equal(2UL, io.WriteBytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("rchar: 1\nwchar: 2\n")]
    [InlineData("read_bytes: 1\n")] // no write_bytes
    [InlineData("write_bytes: 1\n")] // no read_bytes
    [InlineData("read_bytes: x\nwrite_bytes: 1\n")]
    [InlineData("read_bytes: 1\nwrite_bytes: -1\n")]
    [InlineData("read_bytes: 1\nwrite_bytes:\n")]
    [InlineData("read_bytes: 18446744073709551616\nwrite_bytes: 1\n")]
    public void Rejects_missing_or_malformed_counts(string content)
    {
        Assert.False(IoParser.TryParse(Fixtures.Utf8(content), out _));
    }
}
