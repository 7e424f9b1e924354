using System.Globalization;

namespace ProcActors.LoadTests.Runner;

internal static class Format
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>hh:mm:ss, with milliseconds only when there are some (NBomber prints durations so).</summary>
    public static string Span(TimeSpan span) =>
        span.Milliseconds != 0 || span < TimeSpan.FromSeconds(1)
            ? span.ToString(@"hh\:mm\:ss\.fff", Inv)
            : span.ToString(@"hh\:mm\:ss", Inv);

    /// <summary>A number with at most two decimals (fewer when it is large), invariant culture.</summary>
    public static string Num(double value) =>
        double.IsNaN(value) || double.IsInfinity(value) ? "0"
        : Math.Abs(value) >= 1000 ? value.ToString("0.#", Inv)
        : Math.Abs(value) >= 1 ? value.ToString("0.##", Inv)
        : value.ToString("0.####", Inv);

    public static string Bytes(double bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (1L << 30)).ToString("0.00", Inv) + " GiB",
        >= 1L << 20 => (bytes / (1L << 20)).ToString("0.0", Inv) + " MiB",
        >= 1L << 10 => (bytes / (1L << 10)).ToString("0.0", Inv) + " KiB",
        _ => bytes.ToString("0", Inv) + " B",
    };
}
