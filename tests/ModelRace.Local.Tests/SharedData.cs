namespace ModelRace.Local.Tests;

/// <summary>
/// Locates ../shared (reference models and vectors beside the repository). A user's clone does not have it,
/// so tests that need it call <see cref="RequireDirectory"/>, which skips them with a clear message.
/// </summary>
public static class SharedData
{
    public static string? Root { get; } = Find();

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("MODELRACE_SHARED") is { Length: > 0 } fromEnv && File.Exists(Path.Combine(fromEnv, "README.md")))
            return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (dir.GetFiles("ModelRace.slnx").Length > 0 || File.Exists(Path.Combine(candidate, "README.md")))
            {
                if (File.Exists(Path.Combine(candidate, "README.md"))) return candidate;
                var beside = Path.Combine(dir.Parent?.FullName ?? "", "shared");
                if (File.Exists(Path.Combine(beside, "README.md"))) return beside;
            }
        }
        return null;
    }

    /// <summary>The path of a folder under shared/, or a skip of the calling test when shared/ is absent.</summary>
    public static string RequireDirectory(string relative) => Require(relative, Directory.Exists);

    public static string RequireFile(string relative) => Require(relative, File.Exists);

    private static string Require(string relative, Func<string, bool> exists)
    {
        if (Root is null)
            Assert.Skip("../shared is not present beside the repository (it holds llama.cpp reference data); skipping this conformance test.");
        var path = Path.Combine(Root, relative);
        if (!exists(path)) Assert.Skip($"{path} is missing from shared/; skipping.");
        return path;
    }
}
