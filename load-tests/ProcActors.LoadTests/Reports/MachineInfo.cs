using System.Runtime;
using System.Runtime.InteropServices;

namespace ProcActors.LoadTests.Reports;

internal static class MachineInfo
{
    /// <summary>One line per fact: where and how the numbers were taken.</summary>
    public static string Describe(IReadOnlyDictionary<string, string> notes)
    {
        var lines = new List<string>
        {
            $"machine: {Environment.MachineName}, {Environment.ProcessorCount} cores, {CpuModel()}, {RuntimeInformation.OSDescription}",
            $"runtime: {RuntimeInformation.FrameworkDescription}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC ({GCSettings.LatencyMode}), {(IsRelease() ? "Release" : "Debug")} build",
        };
        lines.Add($"load average at the end (1, 5, 15 min; other work on this machine skews the numbers): {LoadAverage()}");
        lines.AddRange(notes.Select(n => $"{n.Key}: {n.Value}"));
        return string.Join('\n', lines);
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static bool IsRelease() =>
        typeof(MachineInfo).Assembly.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            .OfType<System.Diagnostics.DebuggableAttribute>().All(d => !d.IsJITOptimizerDisabled);
}
