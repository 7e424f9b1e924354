using System.Text;
using CsCheck;
using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

/// <summary>
/// Whatever bytes a /proc file holds (a process can put anything in its comm and cmdline, and a kernel may change a
/// format), a parser returns false or a value: it never throws. Any exception fails the property.
/// </summary>
public sealed class ParserGarbagePropertyTests
{
    private const long Iterations = 5_000;

    private static readonly Dictionary<string, (string Fixture, Action<byte[]> Parse)> Parsers = new()
    {
        ["stat"] = ("stat_paren_comm", ParseStat),
        ["stat_kthread"] = ("stat_kthread", ParseStat),
        ["status"] = ("status_sleep", b => StatusParser.TryParse(b, out _)),
        ["io"] = ("io_sleep", b => IoParser.TryParse(b, out _)),
        ["limits"] = ("limits_sleep", b => LimitsParser.TryParseMaxOpenFiles(b, out _)),
        ["smaps_rollup"] = ("smaps_rollup_sleep", b => SmapsRollupParser.TryParse(b, out _)),
        ["cmdline"] = ("cmdline_sleep", ParseCmdline),
        ["cgroup"] = ("cgroup_sleep", ParseCgroup),
        ["proc_stat"] = ("proc_stat", b => SystemStatParser.TryParseBootTime(b, out _)),
        ["uptime"] = ("uptime", b => UptimeParser.TryParseTicks(b, 100, out _)),
    };

    /// <summary>Pieces of every format, so that random input reaches past the first check of each parser.</summary>
    private static readonly string[] Tokens =
    [
        "0", "1", "42", "-1", "18446744073709551615", "18446744073709551616", "4294967296", "2147483648", " ", "  ", "\t", "\n",
        "\0", "(", ")", ":", ".", "kB", " kB", "MB", "S", "R", "Uid:", "VmSwap:", "voluntary_ctxt_switches:",
        "nonvoluntary_ctxt_switches:", "read_bytes:", "write_bytes:", "Max open files", "unlimited", "Pss:", "SwapPss:",
        "btime ", "0::", "\u00e9", "\xff",
    ];

    public static TheoryData<string> ParserNames => [.. Parsers.Keys];

    [Theory]
    [MemberData(nameof(ParserNames))]
    public void Random_bytes_never_throw(string parser)
    {
        var parse = Parsers[parser].Parse;
        Gen.Byte.Array[0, 512].Sample(parse, iter: Iterations);
    }

    [Theory]
    [MemberData(nameof(ParserNames))]
    public void Random_sequences_of_format_tokens_never_throw(string parser)
    {
        var parse = Parsers[parser].Parse;
        Gen.OneOfConst(Tokens).Array[0, 80]
            .Select(tokens => Encoding.Latin1.GetBytes(string.Concat(tokens)))
            .Sample(parse, iter: Iterations);
    }

    [Theory]
    [MemberData(nameof(ParserNames))]
    public void Every_truncation_of_a_real_file_never_throws(string parser)
    {
        var (fixture, parse) = Parsers[parser];
        var content = Fixtures.Bytes(fixture);
        for (var length = 0; length <= content.Length; length++)
        {
            parse(content[..length]);
            parse(content[length..]);
        }
    }

    [Theory]
    [MemberData(nameof(ParserNames))]
    public void Random_slices_of_a_real_file_never_throw(string parser)
    {
        var (fixture, parse) = Parsers[parser];
        var content = Fixtures.Bytes(fixture);
        Gen.Select(Gen.Int[0, content.Length], Gen.Int[0, content.Length])
            .Sample((a, b) => parse(content[Math.Min(a, b)..Math.Max(a, b)]), iter: Iterations);
    }

    [Theory]
    [MemberData(nameof(ParserNames))]
    public void Random_single_byte_mutations_of_a_real_file_never_throw(string parser)
    {
        var (fixture, parse) = Parsers[parser];
        var content = Fixtures.Bytes(fixture);
        Gen.Select(Gen.Int[0, content.Length - 1], Gen.Byte).Sample((index, value) =>
        {
            var mutated = (byte[])content.Clone();
            mutated[index] = value;
            parse(mutated);
        }, iter: Iterations);
    }

    [Theory]
    [MemberData(nameof(ParserNames))]
    public void Every_position_of_a_real_file_replaced_by_a_delimiter_never_throws(string parser)
    {
        var (fixture, parse) = Parsers[parser];
        var content = Fixtures.Bytes(fixture);
        byte[] delimiters = [0, (byte)'\n', (byte)' ', (byte)'\t', (byte)':', (byte)'(', (byte)')', (byte)'-', (byte)'.', (byte)'9', (byte)'x', 0xFF];
        var mutated = (byte[])content.Clone();
        for (var i = 0; i < content.Length; i++)
        {
            foreach (var delimiter in delimiters)
            {
                mutated[i] = delimiter;
                parse(mutated);
            }
            mutated[i] = content[i];
        }
    }

    [Theory]
    [MemberData(nameof(ParserNames))]
    public void Random_multi_byte_mutations_of_a_real_file_never_throw(string parser)
    {
        var (fixture, parse) = Parsers[parser];
        var content = Fixtures.Bytes(fixture);
        Gen.Select(Gen.Int[0, content.Length - 1], Gen.Byte).Array[1, 16].Sample(edits =>
        {
            var mutated = (byte[])content.Clone();
            foreach (var (index, value) in edits) mutated[index] = value;
            parse(mutated);
        }, iter: Iterations);
    }

    [Fact]
    public void A_stat_prefix_that_ends_before_the_rss_field_is_rejected()
    {
        var content = Fixtures.Bytes("stat_sleep");
        var text = Encoding.ASCII.GetString(content);
        // "... 231999 2990080 421 1844..." : rss (field 24) is "421".
        var rssStart = text.IndexOf(" 421 ", StringComparison.Ordinal) + 1;
        for (var length = 0; length < rssStart; length++)
        {
            Assert.False(StatParser.TryParse(content.AsSpan(0, length), out _), $"prefix of {length} bytes parsed");
        }
        var rssEnd = rssStart + 3;
        Assert.True(StatParser.TryParse(content.AsSpan(0, rssEnd), out var full));
        Assert.Equal(421UL, full.ResidentPages);
    }

    private static void ParseStat(byte[] content)
    {
        if (!StatParser.TryParse(content, out var stat)) return;
        // A parsed comm must lie inside the content, with the pid and parent pid in range.
        _ = content.AsSpan()[stat.Comm];
        Assert.InRange(stat.Pid, 0, int.MaxValue);
        Assert.InRange(stat.ParentPid, 0, int.MaxValue);
    }

    private static void ParseCmdline(byte[] content)
    {
        var args = CmdlineParser.Parse(content);
        Assert.All(args, Assert.NotNull);
    }

    private static void ParseCgroup(byte[] content)
    {
        var paths = CgroupParser.Parse(content);
        Assert.True(paths.Length <= content.Count(b => b == (byte)'\n') + 1);
    }
}
