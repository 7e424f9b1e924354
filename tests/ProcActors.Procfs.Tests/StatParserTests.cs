using ProcActors.Testing;
using System.Text;
using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

public sealed class StatParserTests
{
    private static string Comm(byte[] content, in ProcStat stat) => Encoding.UTF8.GetString(content.AsSpan()[stat.Comm]);

    [Fact]
    public void Parses_a_real_process()
    {
        var content = Fixtures.Bytes("stat_sleep");

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal(2933, stat.Pid);
        Assert.Equal("sleep", Comm(content, stat));
        Assert.Equal((byte)'S', stat.State);
        Assert.Equal(2929, stat.ParentPid);
        Assert.Equal(5672UL, stat.MinorFaults);
        Assert.Equal(0UL, stat.MajorFaults);
        Assert.Equal(23UL, stat.UserTicks);
        Assert.Equal(1UL, stat.SystemTicks);
        Assert.Equal(1U, stat.NumThreads);
        Assert.Equal(231999UL, stat.StartTicks);
        Assert.Equal(2990080UL, stat.VirtualBytes);
        Assert.Equal(421UL, stat.ResidentPages);
    }

    [Fact]
    public void Parses_a_real_kernel_thread()
    {
        var content = Fixtures.Bytes("stat_kthread");

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal(2, stat.Pid);
        Assert.Equal("kthreadd", Comm(content, stat));
        Assert.Equal((byte)'S', stat.State);
        Assert.Equal(0, stat.ParentPid);
        Assert.Equal(1U, stat.NumThreads);
        Assert.Equal(9UL, stat.StartTicks);
        Assert.Equal(0UL, stat.VirtualBytes);
        Assert.Equal(0UL, stat.ResidentPages);
    }

    [Fact]
    public void A_comm_with_spaces_and_parentheses_is_taken_up_to_the_last_parenthesis()
    {
        var content = Fixtures.Bytes("stat_paren_comm");

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal(2985, stat.Pid);
        Assert.Equal("a) R (b", Comm(content, stat));
        Assert.Equal((byte)'S', stat.State);
        Assert.Equal(2984, stat.ParentPid);
        Assert.Equal(129UL, stat.MinorFaults);
        Assert.Equal(232969UL, stat.StartTicks);
        Assert.Equal(2990080UL, stat.VirtualBytes);
        Assert.Equal(425UL, stat.ResidentPages);
    }

    [Fact]
    public void A_comm_wrapped_in_parentheses_keeps_them()
    {
        var content = Fixtures.Bytes("stat_sd_pam");

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal(2989, stat.Pid);
        Assert.Equal("(sd-pam)", Comm(content, stat));
        Assert.Equal(2988, stat.ParentPid);
        Assert.Equal(130UL, stat.MinorFaults);
        Assert.Equal(233020UL, stat.StartTicks);
        Assert.Equal(391UL, stat.ResidentPages);
    }

    [Fact]
    public void An_empty_comm_is_an_empty_range()
    {
        var content = Fixtures.Utf8(ProcText.Stat(77, "", 'R', ppid: 5, utime: 3, starttime: 42));

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal(77, stat.Pid);
        Assert.Equal("", Comm(content, stat));
        Assert.Equal((byte)'R', stat.State);
        Assert.Equal(5, stat.ParentPid);
        Assert.Equal(3UL, stat.UserTicks);
        Assert.Equal(42UL, stat.StartTicks);
    }

    [Theory]
    [InlineData("a b c")]
    [InlineData(") S 1 2 3 (")]
    [InlineData("kworker/0:0-events")]
    [InlineData("tab\there")]
    [InlineData("new\nline")]
    public void Odd_comms_do_not_shift_the_fields(string comm)
    {
        var content = Fixtures.Utf8(ProcText.Stat(4321, comm, 'D', ppid: 17, minflt: 11, majflt: 12, utime: 14, stime: 15,
            numThreads: 20, starttime: 22, vsize: 23, rss: 24));

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal(comm, Comm(content, stat));
        Assert.Equal(4321, stat.Pid);
        Assert.Equal((byte)'D', stat.State);
        Assert.Equal(17, stat.ParentPid);
        Assert.Equal(11UL, stat.MinorFaults);
        Assert.Equal(12UL, stat.MajorFaults);
        Assert.Equal(14UL, stat.UserTicks);
        Assert.Equal(15UL, stat.SystemTicks);
        Assert.Equal(20U, stat.NumThreads);
        Assert.Equal(22UL, stat.StartTicks);
        Assert.Equal(23UL, stat.VirtualBytes);
        Assert.Equal(24UL, stat.ResidentPages);
    }

    [Fact]
    public void A_negative_rss_reads_as_zero_pages()
    {
        var content = Fixtures.Utf8(ProcText.Stat(9, "rss", rss: -3, vsize: 4096));

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal(0UL, stat.ResidentPages);
        Assert.Equal(4096UL, stat.VirtualBytes);
    }

    [Fact]
    public void The_largest_counters_parse()
    {
        var content = Fixtures.Utf8(ProcText.Stat(int.MaxValue, "big", utime: ulong.MaxValue, stime: ulong.MaxValue - 1,
            starttime: ulong.MaxValue - 2, vsize: ulong.MaxValue - 3, rss: long.MaxValue, numThreads: uint.MaxValue));

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal(int.MaxValue, stat.Pid);
        Assert.Equal(ulong.MaxValue, stat.UserTicks);
        Assert.Equal(ulong.MaxValue - 1, stat.SystemTicks);
        Assert.Equal(ulong.MaxValue - 2, stat.StartTicks);
        Assert.Equal(ulong.MaxValue - 3, stat.VirtualBytes);
        Assert.Equal((ulong)long.MaxValue, stat.ResidentPages);
        Assert.Equal(uint.MaxValue, stat.NumThreads);
    }

    [Fact]
    public void Parses_without_a_trailing_newline()
    {
        var content = Fixtures.Utf8(ProcText.Stat(10, "x", rss: 7).TrimEnd('\n'));

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal(7UL, stat.ResidentPages);
    }

    [Fact]
    public void Stops_after_the_rss_field()
    {
        // Fields 25 and up are not needed: a line that ends right after rss parses.
        var content = Fixtures.Utf8("5 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16");

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal(10UL, stat.MinorFaults);
        Assert.Equal(11UL, stat.MajorFaults);
        Assert.Equal(12UL, stat.UserTicks);
        Assert.Equal(13UL, stat.SystemTicks);
        Assert.Equal(14UL, stat.StartTicks);
        Assert.Equal(15UL, stat.VirtualBytes);
        Assert.Equal(16UL, stat.ResidentPages);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("5 S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // no comm at all
    [InlineData("5 (short S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // no ')'
    [InlineData("5 short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // no '('
    [InlineData("(short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // no pid
    [InlineData("x (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // pid not a number
    [InlineData("-5 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // negative pid
    [InlineData("5 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15")] // rss missing
    [InlineData("5 (short)")] // nothing after the comm
    [InlineData("5 (short) SS 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // state of two letters
    [InlineData("5 (short) S x 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // ppid not a number
    [InlineData("5 (short) S -1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // negative ppid
    [InlineData("5 (short) S 1 5 5 0 -1 4194304 -10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // negative minflt
    [InlineData("5 (short) S 1 5 5 0 -1 4194304 10 0 1x 0 12 13 0 0 20 0 1 0 14 15 16")] // majflt not a number
    [InlineData("5 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12.5 13 0 0 20 0 1 0 14 15 16")] // utime not an integer
    [InlineData("5 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 18446744073709551616 0 0 20 0 1 0 14 15 16")] // stime overflows
    [InlineData("5 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 -1 0 14 15 16")] // negative thread count
    [InlineData("5 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 4294967296 0 14 15 16")] // thread count overflows uint
    [InlineData("5 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 -14 15 16")] // negative start time
    [InlineData("5 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 x16")] // rss not a number
    [InlineData("2147483648 (short) S 1 5 5 0 -1 4194304 10 0 11 0 12 13 0 0 20 0 1 0 14 15 16")] // pid overflows int
    public void Rejects_malformed_lines(string line)
    {
        Assert.False(StatParser.TryParse(Fixtures.Utf8(line), out _));
    }

    [Fact]
    public void The_comm_range_indexes_the_span_that_was_parsed()
    {
        var file = Fixtures.Utf8("garbage before " + ProcText.Stat(31, "inner"));
        var content = file.AsSpan(15);

        Assert.True(StatParser.TryParse(content, out var stat));

        Assert.Equal("inner", Encoding.UTF8.GetString(content[stat.Comm]));
    }
}
