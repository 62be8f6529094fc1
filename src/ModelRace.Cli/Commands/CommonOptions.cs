using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelRace.Catalog;

namespace ModelRace.Cli.Commands;

/// <summary>Options and helpers shared by several commands.</summary>
internal static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print machine-readable JSON instead of a table." };

    public static Option<DirectoryInfo[]> CatalogDirs() => new("--catalog")
    {
        Description = "Extra directory of model-card YAML files (repeatable); cards here override built-in ones with the same id.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> Db() => new("--db") { Description = "SQLite database file (default ./modelrace.db, or MODELRACE_DB)." };

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static void WriteJson<T>(CliContext context, T value) =>
        context.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>Built-in cards, then ~/.modelrace/catalog, then each --catalog directory, later ones winning.</summary>
    public static ModelCatalog LoadCatalog(CliContext context, IEnumerable<DirectoryInfo>? extra)
    {
        var dirs = new List<string> { Path.Combine(context.HomeDirectory, "catalog") };
        foreach (var dir in extra ?? [])
        {
            if (!dir.Exists) throw new CliException($"catalog directory '{dir.FullName}' does not exist");
            dirs.Add(dir.FullName);
        }
        try
        {
            var catalog = ModelCatalog.Load(dirs);
            foreach (var warning in catalog.Warnings) context.Error.WriteLine($"warning: {warning}");
            return catalog;
        }
        catch (CatalogException e)
        {
            throw new CliException(e.Message);
        }
    }

    public static string DatabasePath(CliContext context, string? option) =>
        option is { Length: > 0 } ? option
        : context.GetEnvironmentVariable("MODELRACE_DB") is { Length: > 0 } env ? env
        : Path.Combine(context.WorkingDirectory, "modelrace.db");
}
