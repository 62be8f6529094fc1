namespace ModelRace.Race.Tests;

/// <summary>Finds /work/shared (MODELRACE_SHARED, or a "shared" directory with README.md beside an ancestor of the test binaries).</summary>
public static class SharedData
{
    public static string? Root()
    {
        if (Environment.GetEnvironmentVariable("MODELRACE_SHARED") is { Length: > 0 } env && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (File.Exists(System.IO.Path.Combine(candidate, "README.md"))) return candidate;
        }
        return null;
    }

    public static string? Path(string relative) =>
        Root() is { } root && File.Exists(System.IO.Path.Combine(root, relative)) ? System.IO.Path.Combine(root, relative) : null;
}
