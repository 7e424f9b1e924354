using System.Text;

namespace ProcActors.Procfs.Tests;

public sealed class StringPoolTests
{
    [Fact]
    public void The_same_bytes_give_the_same_instance()
    {
        var pool = new StringPool();

        var first = pool.Get("ep_poll"u8);
        var second = pool.Get(Encoding.UTF8.GetBytes("ep_poll"));

        Assert.Equal("ep_poll", first);
        Assert.Same(first, second);
        Assert.Equal(1, pool.Count);
    }

    [Fact]
    public void Different_bytes_give_different_strings()
    {
        var pool = new StringPool();

        Assert.Equal("a", pool.Get("a"u8));
        Assert.Equal("b", pool.Get("b"u8));
        Assert.Equal("ab", pool.Get("ab"u8));
        Assert.Equal(3, pool.Count);
    }

    [Fact]
    public void Empty_is_the_empty_string_and_is_not_pooled()
    {
        var pool = new StringPool();

        Assert.Same(string.Empty, pool.Get([]));
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void Invalid_UTF8_becomes_the_replacement_character()
    {
        var pool = new StringPool();

        var text = pool.Get([(byte)'f', 0xFF, (byte)'o', 0xC3]);

        Assert.Equal("f\uFFFDo\uFFFD", text);
        Assert.Same(text, pool.Get([(byte)'f', 0xFE, (byte)'o', 0xC3]));
    }

    [Fact]
    public void Valid_multibyte_UTF8_is_decoded()
    {
        Assert.Equal("日本語ワーカー", new StringPool().Get(Encoding.UTF8.GetBytes("日本語ワーカー")));
    }

    [Fact]
    public void A_full_pool_still_returns_the_text_but_keeps_no_more()
    {
        var pool = new StringPool(capacity: 2);
        var a = pool.Get("a"u8);
        var b = pool.Get("b"u8);

        var c1 = pool.Get("c"u8);
        var c2 = pool.Get("c"u8);

        Assert.Equal(2, pool.Count);
        Assert.Equal("c", c1);
        Assert.Equal("c", c2);
        Assert.NotSame(c1, c2);
        Assert.Same(a, pool.Get("a"u8));
        Assert.Same(b, pool.Get("b"u8));
    }

    [Fact]
    public void Long_texts_are_decoded_but_not_pooled()
    {
        var pool = new StringPool();
        var longest = new string('x', 256);
        var tooLong = new string('y', 257);

        var pooled = pool.Get(Encoding.UTF8.GetBytes(longest));
        var first = pool.Get(Encoding.UTF8.GetBytes(tooLong));
        var second = pool.Get(Encoding.UTF8.GetBytes(tooLong));

        Assert.Equal(longest, pooled);
        Assert.Same(pooled, pool.Get(Encoding.UTF8.GetBytes(longest)));
        Assert.Equal(tooLong, first);
        Assert.NotSame(first, second);
        Assert.Equal(1, pool.Count);
    }

    [Fact]
    public void A_long_text_of_invalid_bytes_fits_the_decoding_buffer()
    {
        var pool = new StringPool();
        var bytes = Enumerable.Repeat((byte)0xFF, 256).ToArray();

        Assert.Equal(new string('\uFFFD', 256), pool.Get(bytes));
    }

    [Fact]
    public void Texts_longer_than_the_stack_buffer_are_pooled_up_to_the_length_limit()
    {
        var pool = new StringPool(maxPooledLength: 4096);
        var bytes = Encoding.UTF8.GetBytes("--env=" + new string('é', 1000));
        var invalid = Enumerable.Repeat((byte)0xFF, 4096).ToArray();

        var first = pool.Get(bytes);

        Assert.Equal("--env=" + new string('é', 1000), first);
        Assert.Same(first, pool.Get(bytes));
        Assert.Equal(new string('\uFFFD', 4096), pool.Get(invalid));
        Assert.Same(pool.Get(invalid), pool.Get(invalid));
        Assert.NotSame(pool.Get(new byte[4097]), pool.Get(new byte[4097]));
        Assert.Equal(2, pool.Count);
        Assert.Equal(1006 + 4096, pool.Chars);
    }

    [Fact]
    public void The_character_budget_bounds_the_pool_like_its_count()
    {
        var pool = new StringPool(maxPooledChars: 5);
        var abc = pool.Get("abc"u8);

        var def1 = pool.Get("def"u8);
        var def2 = pool.Get("def"u8);

        Assert.Same(abc, pool.Get("abc"u8));
        Assert.NotSame(def1, def2);
        Assert.Equal(1, pool.Count);
        Assert.Equal(3, pool.Chars);
    }

    [Fact]
    public void A_renewing_pool_starts_over_when_full_and_pools_the_newcomers()
    {
        var pool = new StringPool(capacity: 2, renewWhenFull: true);
        var a = pool.Get("a"u8);
        pool.Get("b"u8);

        var c = pool.Get("c"u8);

        Assert.Equal(1, pool.Renewals);
        Assert.Equal(1, pool.Count);
        Assert.Same(c, pool.Get("c"u8));
        var a2 = pool.Get("a"u8);
        Assert.Equal(a, a2);
        Assert.NotSame(a, a2);
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public void A_text_over_the_whole_budget_is_returned_without_emptying_a_renewing_pool()
    {
        var pool = new StringPool(maxPooledChars: 4, renewWhenFull: true);
        var ab = pool.Get("ab"u8);

        Assert.Equal("abcde", pool.Get("abcde"u8));

        Assert.Equal(0, pool.Renewals);
        Assert.Same(ab, pool.Get("ab"u8));
    }
}
