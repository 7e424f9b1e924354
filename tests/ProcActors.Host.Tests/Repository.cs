namespace ProcActors.Host.Tests;

/// <summary>The checkout the tests run from: the folder above the build output that holds ProcActors.sln.</summary>
internal static class Repository
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ProcActors.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("ProcActors.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
