using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;
using ProcActors.Procfs.Tests.Support;

namespace ProcActors.Procfs.Tests;

/// <summary>
/// The fuzz campaign over every /proc parser: a mix of random bytes, random sequences of format tokens, multi-byte
/// mutations of real files, and real files cut and spliced with tokens. A test run does a short campaign;
/// scripts/fuzz.sh sets PROCACTORS_FUZZ_INPUTS (1,000,000 by default there) and collects the figures that
/// PROCACTORS_FUZZ_REPORT receives. An input that throws is saved under PROCACTORS_FUZZ_CRASHES for the corpus.
/// </summary>
public sealed class FuzzCampaignTests
{
    private static long Inputs =>
        long.TryParse(Environment.GetEnvironmentVariable("PROCACTORS_FUZZ_INPUTS"), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 20_000;

    public static TheoryData<string> Targets => [.. FuzzTargets.All.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void A_parser_survives_the_campaign_and_both_accepts_and_rejects(string target)
    {
        var (fixture, parse) = FuzzTargets.All[target];
        long accepted = 0, rejected = 0;
        var clock = Stopwatch.StartNew();
        Generator(Fixtures.Bytes(fixture)).Sample(input =>
        {
            bool ok;
            try
            {
                ok = parse(input);
            }
            catch (Exception)
            {
                SaveCrash(target, input);
                throw;
            }
            if (ok) Interlocked.Increment(ref accepted);
            else Interlocked.Increment(ref rejected);
        }, iter: Inputs, threads: 1);
        clock.Stop();

        Report($"{target}\t{accepted + rejected}\t{accepted}\t{rejected}\t{clock.Elapsed.TotalSeconds:0.00}\t{(accepted + rejected) / clock.Elapsed.TotalSeconds:0}");
        Assert.Equal(Inputs, accepted + rejected);
        // A campaign that only ever hits the first check (or never fails one) explores nothing.
        Assert.True(accepted > 0, $"{target}: no input accepted");
        Assert.True(rejected > 0, $"{target}: no input rejected");
    }

    /// <summary>The corpus: each file must not throw, and must be accepted (ok-*) or rejected (bad-*) as named.</summary>
    [Fact]
    public void The_corpus_replays_with_the_expected_outcome()
    {
        var replayed = 0;
        var wrong = new List<string>();
        foreach (var folder in Directory.GetDirectories(FuzzTargets.CorpusFolder))
        {
            var parse = FuzzTargets.All[Path.GetFileName(folder)].Parse;
            foreach (var file in Directory.GetFiles(folder))
            {
                var name = Path.GetFileName(file);
                var expected = name.StartsWith("ok-", StringComparison.Ordinal);
                Assert.True(expected || name.StartsWith("bad-", StringComparison.Ordinal), $"{file}: name it ok-* or bad-*");
                if (parse(File.ReadAllBytes(file)) != expected) wrong.Add($"{Path.GetFileName(folder)}/{name}");
                replayed++;
            }
        }
        Assert.Empty(wrong);
        Assert.True(replayed >= 40, $"only {replayed} corpus files");
    }

    private static Gen<byte[]> Generator(byte[] real)
    {
        var tokens = Gen.OneOfConst(FuzzTargets.Tokens).Array[0, 60].Select(t => Encoding.Latin1.GetBytes(string.Concat(t)));
        var mutated = Gen.Select(Gen.Int[0, real.Length - 1], Gen.Byte).Array[1, 16].Select(edits =>
        {
            var copy = (byte[])real.Clone();
            foreach (var (index, value) in edits) copy[index] = value;
            return copy;
        });
        var spliced = Gen.Select(Gen.Int[0, real.Length], Gen.Int[0, real.Length], tokens).Select((cut, resume, middle) =>
            (byte[])[.. real.AsSpan(0, Math.Min(cut, resume)), .. middle, .. real.AsSpan(Math.Max(cut, resume))]);
        var duplicated = Gen.Int[0, real.Length].Select(cut => (byte[])[.. real, .. real.AsSpan(0, cut)]);
        return Gen.Frequency((2, Gen.Byte.Array[0, 512]), (2, tokens), (3, mutated), (2, spliced), (1, duplicated), (1, Gen.Const(real)));
    }

    private static void Report(string line)
    {
        if (Environment.GetEnvironmentVariable("PROCACTORS_FUZZ_REPORT") is { Length: > 0 } path)
        {
            lock (typeof(FuzzCampaignTests)) File.AppendAllText(path, line + "\n");
        }
    }

    private static void SaveCrash(string target, byte[] input)
    {
        if (Environment.GetEnvironmentVariable("PROCACTORS_FUZZ_CRASHES") is not { Length: > 0 } folder) return;
        var dir = Path.Combine(folder, target);
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, $"crash-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(input))[..16]}"), input);
    }
}
