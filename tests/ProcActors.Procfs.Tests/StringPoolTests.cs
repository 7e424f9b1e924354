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
}
