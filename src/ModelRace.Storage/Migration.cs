using System.Reflection;

namespace ModelRace.Storage;

/// <summary>A schema step: embedded file Migrations/NNNN_name.sql brings the schema to version NNNN.</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    public static IReadOnlyList<Migration> All { get; } = Load();

    public static int Latest => All[^1].Version;

    private static List<Migration> Load()
    {
        var assembly = typeof(Migration).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            // Resource names look like ModelRace.Storage.Migrations.0001_initial.sql
            var fileName = resource["ModelRace.Storage.Migrations.".Length..];
            var version = int.Parse(fileName[..4], System.Globalization.CultureInfo.InvariantCulture);
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            migrations.Add(new Migration(version, fileName[5..^4], reader.ReadToEnd()));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"migrations must be numbered 1, 2, 3… without gaps; found {migrations[i].Version} at position {i + 1}");
        return migrations;
    }
}
