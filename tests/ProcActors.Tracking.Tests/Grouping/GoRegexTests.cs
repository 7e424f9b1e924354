using CsCheck;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Tracking.Tests.GroupingRules;

public sealed class GoRegexTests
{
    private static GoRegex Compile(string pattern)
    {
        var regex = GoRegex.TryCompile(pattern, out var error);
        Assert.True(regex is not null, error);
        return regex;
    }

    [Theory]
    [InlineData(@"^\d+$", "123", true)]
    [InlineData(@"^\d+$", "١٢٣", false)]
    [InlineData(@"^\D$", "١", true)]
    [InlineData(@"^\w+$", "héllo", false)]
    [InlineData(@"^\s$", "\u00a0", false)]
    [InlineData(@"^\s$", "\v", false)]
    [InlineData(@"^[\d_]+$", "1_2", true)]
    [InlineData(@"^[\d]$", "١", false)]
    [InlineData(@"^[[:alpha:]]+$", "abc", true)]
    [InlineData(@"^[[:alpha:]]+$", "ab1", false)]
    [InlineData(@"^[[:punct:]]+$", "[!]`", true)]
    [InlineData(@"^[[:space:]]$", "\v", true)]
    [InlineData(@"^\pL+$", "héllo", true)]
    [InlineData(@"^[]a]+$", "]a]", true)]
    [InlineData(@"^[a-c-[x]]+$", "b-[", false)]
    [InlineData(@"^[a-c-[x]+$", "b-[", true)]
    [InlineData(@"^x{,3}$", "x{,3}", true)]
    [InlineData("a$", "a\n", false)]
    [InlineData("a$", "a", true)]
    [InlineData("(?m)a$", "a\nb", true)]
    [InlineData("(?m:x$)\ny$", "x\ny", true)]
    [InlineData("(?m:x$)\ny$", "x\ny\n", false)]
    [InlineData("(?m)(?-m:x$)\n", "x\n", false)]
    [InlineData("[$]", "$", true)]
    [InlineData(@"\$", "$", true)]
    public void Patterns_mean_what_they_mean_in_Go(string pattern, string input, bool matches)
    {
        Assert.Equal(matches, Compile(pattern).Regex.IsMatch(input));
    }

    [Fact]
    public void Groups_are_numbered_by_their_opening_parenthesis_whether_named_or_not()
    {
        var regex = Compile("(?P<a>x)(y)(?<b>z)((?:w))");

        Assert.Equal(["", "a", "", "b", ""], regex.GroupNames);
        var groups = regex.Regex.Match("xyzw").Groups;
        Assert.Equal(["xyzw", "x", "y", "z", "w"], Enumerable.Range(0, 5).Select(g => groups[g].Value));
    }

    [Theory]
    [InlineData("(?=a)", "invalid or unsupported Perl syntax \"(?=\"")]
    [InlineData("(?!a)", "invalid or unsupported Perl syntax \"(?!\"")]
    [InlineData("(?>a)", "invalid or unsupported Perl syntax \"(?>\"")]
    [InlineData("(?x)a b", "invalid or unsupported Perl syntax \"(?x\"")]
    [InlineData("(?<=a)b", "lookbehind \"(?<=\" is not supported by Go's regular expressions")]
    [InlineData("(?U)a+", "the U (ungreedy) flag is not supported; use lazy quantifiers such as *? instead")]
    [InlineData(@"[\D]", @"\D inside a character class is not supported; write the ASCII set it excludes instead")]
    [InlineData("[[:^alpha:]]", "negated POSIX class [:^alpha:] is not supported; write the ASCII set it excludes instead")]
    [InlineData("[[:foo:]]", "invalid character class range [:foo:]")]
    [InlineData("(?P<>a)", "invalid named capture \"(?P<>\"")]
    [InlineData("(?P<a-b>x)", "invalid named capture \"(?P<a-b>\"")]
    [InlineData("(?P<a", "invalid named capture \"(?P<a\"")]
    [InlineData("(?i", "missing closing ) in \"(?i\"")]
    [InlineData("(", "Not enough )'s.")]
    [InlineData(@"(a)\1", "RegexOptions.NonBacktracking is not supported in conjunction with expressions containing: 'backreference (\\ number)'.")]
    public void Patterns_Go_refuses_or_that_cannot_keep_their_Go_meaning_are_refused(string pattern, string expected)
    {
        Assert.Null(GoRegex.TryCompile(pattern, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Any_pattern_either_compiles_with_Go_group_numbering_or_is_refused_with_a_reason()
    {
        Gen.String[@"()[]{}?*+|^$\.:-<>=!'#PpLdDwWsSimUxQEzb_a19, "].Sample(pattern =>
        {
            var regex = GoRegex.TryCompile(pattern, out var error);
            if (regex is null)
            {
                Assert.NotEmpty(error);
            }
            else
            {
                Assert.Equal(regex.GroupNames.Count, regex.Regex.GetGroupNumbers().Length);
            }
        });
    }

    [Fact(Timeout = 10_000)]
    public async Task Matching_takes_linear_time_like_RE2()
    {
        var regex = Compile("^(a+)+$");
        var input = new string('a', 10_000) + "b";

        Assert.False(await Task.Run(() => regex.Regex.IsMatch(input), TestContext.Current.CancellationToken));
    }
}
