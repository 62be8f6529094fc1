namespace ModelRace.Catalog;

/// <summary>A card file that cannot be used; the message names the file, the field and the problem.</summary>
public sealed class CatalogException(string file, string? field, string problem, int? line = null)
    : Exception(Format(file, field, problem, line))
{
    public string File { get; } = file;
    public string? Field { get; } = field;
    public string Problem { get; } = problem;
    public int? Line { get; } = line;

    private static string Format(string file, string? field, string problem, int? line) =>
        $"{file}{(line is { } l ? $":{l}" : "")}: {(field is null ? "" : $"field '{field}': ")}{problem}";
}
