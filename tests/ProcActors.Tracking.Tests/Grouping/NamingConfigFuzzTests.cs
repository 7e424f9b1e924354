using System.Diagnostics;
using System.Globalization;
using CsCheck;
using ProcActors.Procfs;
using ProcActors.Tracking.Grouping;

namespace ProcActors.Tracking.Tests.GroupingRules;

/// <summary>
/// The fuzz campaign over the YAML config loader: configurations assembled from the pieces of real ones (keys,
/// indentation, lists, regexes, templates, anchors, tabs, garbage). The loader either returns a namer — which then
/// names processes with hostile names without throwing — or throws a one-line ConfigException naming a line; nothing
/// else may escape. PROCACTORS_FUZZ_INPUTS sets the count (scripts/fuzz.sh: 1,000,000).
/// </summary>
public sealed class NamingConfigFuzzTests
{
    private static long Inputs =>
        long.TryParse(Environment.GetEnvironmentVariable("PROCACTORS_FUZZ_INPUTS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 20_000;

    private static readonly string[] Pieces =
    [
        "process_names:", "process_names: []", "  - ", "    ", "  ", "\t", "- ", "\n", "\n", "\n", "name: ", "comm:", "exe:", "cmdline:",
        "[", "]", ",", "{", "}", ":", "'", "\"", "#", "&a ", "*a", "<<: ", "---", "...", "!!str ", "|", ">",
        "\"{{.Comm}}\"", "\"{{.ExeBase}}:{{.Matches.x}}\"", "'{{.Nope}}'", "\"{{.Matches}}\"", "'{{'", "'}}'", "\"{{.PID}}\"",
        "'.+'", "'(?P<x>\\w+)'", "'('", "'[a-'", "'a{99999}'", "'(?i)x'", "'\\\\'", "bash", "sleep", "/usr/bin/x", "\"\\xff\"", "~", "null",
        "0", "-1", "1e999", "\u00e9", "\u0000", "\uFEFF",
    ];

    private static readonly ProcStatic[] Processes =
    [
        new(new ProcId(10, 5), "bash", ["/bin/bash", "-c", "x"], ["0::/"], 1, DateTimeOffset.UnixEpoch, 0, "root", "/bin/bash"),
        new(new ProcId(11, 6), "a) b\n\uFFFD", [], [], 10, DateTimeOffset.UnixEpoch, 65534, "", ""),
        new(new ProcId(12, 7), "", ["", "\uFFFD\uFFFD"], ["", "1:x:/a:b"], 0, DateTimeOffset.UnixEpoch, uint.MaxValue, "nobody", "/"),
    ];

    [Fact]
    public void The_loader_survives_the_campaign_and_both_accepts_and_rejects()
    {
        long accepted = 0, rejected = 0;
        var clock = Stopwatch.StartNew();
        var documents = Gen.OneOfConst(Pieces).Array[0, 40].Select(string.Concat);
        var nearValid = Gen.Select(Gen.OneOfConst(Pieces), Gen.OneOfConst(Pieces), Gen.OneOfConst(Pieces))
            .Select((a, b, c) => $"process_names:\n  - name: {a}\n    cmdline: [{b}]\n    comm: [{c}]\n");
        Gen.Frequency((3, documents), (2, nearValid)).Sample(yaml =>
        {
            NamingConfig config;
            try
            {
                config = NamingConfig.Parse(yaml, "fuzz.yml");
            }
            catch (ConfigException e)
            {
                Assert.StartsWith("fuzz.yml", e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain('\n', e.Message);
                rejected++;
                return;
            }
            foreach (var proc in Processes) config.Name(proc);
            accepted++;
        }, iter: Inputs, threads: 1);
        clock.Stop();

        if (Environment.GetEnvironmentVariable("PROCACTORS_FUZZ_REPORT") is { Length: > 0 } report)
            File.AppendAllText(report, $"config.yml\t{accepted + rejected}\t{accepted}\t{rejected}\t{clock.Elapsed.TotalSeconds:0.00}\t{(accepted + rejected) / clock.Elapsed.TotalSeconds:0}\n");
        Assert.Equal(Inputs, accepted + rejected);
        Assert.True(accepted > 0, "no configuration accepted");
        Assert.True(rejected > 0, "no configuration rejected");
    }
}
