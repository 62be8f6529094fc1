namespace ModelRace.Catalog.Tests;

/// <summary>A throw-away user catalog directory under the system temp folder.</summary>
internal sealed class TempCatalogDirectory : IDisposable
{
    public TempCatalogDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "modelrace-catalog-tests", Guid.NewGuid().ToString("N"));

    public string Write(string relativePath, string yaml)
    {
        var full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, yaml);
        return full;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
