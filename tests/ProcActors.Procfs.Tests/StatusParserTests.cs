using ProcActors.Testing;
using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

public sealed class StatusParserTests
{
    [Fact]
    public void Parses_a_real_process()
    {
        Assert.True(StatusParser.TryParse(Fixtures.Bytes("status_sleep"), out var status));

        Assert.Equal(0U, status.EffectiveUid);
        Assert.Equal(0UL, status.SwapBytes);
        Assert.Equal(4UL, status.VoluntaryCtxSwitches);
        Assert.Equal(4UL, status.NonvoluntaryCtxSwitches);
    }

    [Fact]
    public void A_real_kernel_thread_has_no_VmSwap_line_and_reports_no_swap()
    {
        var content = Fixtures.Bytes("status_kthread");
        Assert.DoesNotContain("VmSwap", Fixtures.Text("status_kthread"), StringComparison.Ordinal);

        Assert.True(StatusParser.TryParse(content, out var status));

        Assert.Equal(0U, status.EffectiveUid);
        Assert.Equal(0UL, status.SwapBytes);
        Assert.Equal(57UL, status.VoluntaryCtxSwitches);
        Assert.Equal(0UL, status.NonvoluntaryCtxSwitches);
    }

    [Fact]
    public void Reads_the_effective_uid_the_swap_and_both_context_switch_counts()
    {
        var content = Fixtures.Utf8(ProcText.Status("nginx", uid: 33, realUid: 1000, vmSwapKb: 1234, voluntary: 987654, nonvoluntary: 321));

        Assert.True(StatusParser.TryParse(content, out var status));

        Assert.Equal(33U, status.EffectiveUid);
        Assert.Equal(1234UL * 1024, status.SwapBytes);
        Assert.Equal(987654UL, status.VoluntaryCtxSwitches);
        Assert.Equal(321UL, status.NonvoluntaryCtxSwitches);
    }

    [Fact]
    public void A_synthesized_kernel_thread_parses_with_zero_swap()
    {
        var content = Fixtures.Utf8(ProcText.Status("kworker/0:1", 'I', vmSwapKb: 999, voluntary: 5, nonvoluntary: 6, kernelThread: true));

        Assert.True(StatusParser.TryParse(content, out var status));

        Assert.Equal(0UL, status.SwapBytes);
        Assert.Equal(5UL, status.VoluntaryCtxSwitches);
        Assert.Equal(6UL, status.NonvoluntaryCtxSwitches);
    }

    [Fact]
    public void The_largest_uid_parses()
    {
        var content = Fixtures.Utf8(ProcText.Status("x", uid: uint.MaxValue));

        Assert.True(StatusParser.TryParse(content, out var status));

        Assert.Equal(uint.MaxValue, status.EffectiveUid);
    }

    [Fact]
    public void The_Uid_and_both_context_switch_lines_are_required()
    {
        Assert.True(StatusParser.TryParse("Uid:\t1\t2\t3\t4\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t7"u8, out var status));
        Assert.Equal(2U, status.EffectiveUid);
        Assert.Equal(7UL, status.NonvoluntaryCtxSwitches);

        // Cut off before its counters, a status would read as zero switches and the next full read would count them all again.
        Assert.False(StatusParser.TryParse("Uid:\t1\t2\t3\t4"u8, out _));
        Assert.False(StatusParser.TryParse("Uid:\t1\t2\t3\t4\nvoluntary_ctxt_switches:\t0\n"u8, out _));
    }

    [Fact]
    public void Unknown_lines_and_lines_without_a_key_are_skipped()
    {
        var content = "no colon here\n:leading colon\nUidx:\tnot a uid\nVmSwapped:\tgarbage\nUid:\t5\t6\t7\t8\n\nvoluntary_ctxt_switches:\t9\nnonvoluntary_ctxt_switches:\t1\n"u8;

        Assert.True(StatusParser.TryParse(content, out var status));

        Assert.Equal(6U, status.EffectiveUid);
        Assert.Equal(9UL, status.VoluntaryCtxSwitches);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Name:\tbash\nState:\tS (sleeping)\n")] // no Uid line
    [InlineData("Uid:\n")]
    [InlineData("Uid:\t1\n")] // no effective uid
    [InlineData("Uid:\t1\tx\t1\t1\n")]
    [InlineData("Uid:\t1\t-2\t1\t1\n")]
    [InlineData("Uid:\t1\t4294967296\t1\t1\n")] // overflows uint
    [InlineData("Uid:\t0\t0\t0\t0\nVmSwap:\t12 MB\n")]
    [InlineData("Uid:\t0\t0\t0\t0\nVmSwap:\t kB\n")]
    [InlineData("Uid:\t0\t0\t0\t0\nVmSwap:\t18014398509481984 kB\n")] // overflows when made bytes
    [InlineData("Uid:\t0\t0\t0\t0\nvoluntary_ctxt_switches:\tmany\n")]
    [InlineData("Uid:\t0\t0\t0\t0\nnonvoluntary_ctxt_switches:\t-1\n")]
    [InlineData("Uid:\t0\t0\t0\t0\nnonvoluntary_ctxt_switches:\t\n")]
    public void Rejects_missing_or_malformed_known_lines(string content)
    {
        Assert.False(StatusParser.TryParse(Fixtures.Utf8(content), out _));
    }

    [Fact]
    public void A_VmSwap_without_unit_is_still_kilobytes()
    {
        Assert.True(StatusParser.TryParse("Uid:\t0\t0\t0\t0\nVmSwap:\t3\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n"u8, out var status));

        Assert.Equal(3072UL, status.SwapBytes);
    }
}
