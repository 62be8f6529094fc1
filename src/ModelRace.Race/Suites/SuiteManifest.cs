using ModelRace.Core.Race;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace ModelRace.Race.Suites;

/// <summary>A YAML suite manifest (see docs/suites.md) whose items live in JSONL files beside it.</summary>
public static class SuiteManifest
{
    private sealed class ManifestYaml
    {
        public string? Name { get; set; }
        public string? Description { get; set; }
        public string? Scorer { get; set; }
        public string? SystemPrompt { get; set; }
        public List<Dictionary<string, string>>? FewShot { get; set; }
        public Dictionary<string, string>? Generation { get; set; }
        public List<string>? Categories { get; set; }
        public List<string>? Items { get; set; }
    }

    public static Suite Load(string path)
    {
        ManifestYaml manifest;
        try
        {
            var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
            manifest = deserializer.Deserialize<ManifestYaml>(File.ReadAllText(path)) ?? throw new SuiteException($"{path}: the manifest is empty");
        }
        catch (YamlException e)
        {
            throw SuiteException.At(path, (int)e.Start.Line, $"invalid manifest: {e.InnerException?.Message ?? e.Message}");
        }
        if (manifest.Items is not { Count: > 0 })
            throw new SuiteException($"{path}: the manifest needs \"items\": a list of JSONL files, relative to the manifest");
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var items = new List<SuiteItem>();
        foreach (var file in manifest.Items)
        {
            var full = Path.Combine(directory, file);
            if (!File.Exists(full)) throw new SuiteException($"{path}: items file {full} does not exist");
            using var reader = new StreamReader(full);
            var read = JsonlItemReader.Read(reader, full, manifest.Scorer ?? "exact");
            foreach (var item in read)
            {
                if (manifest.Categories is { Count: > 0 } allowed && item.Category is { } c && !allowed.Contains(c))
                    throw new SuiteException($"{full}: item {item.Id} has category '{c}', which the manifest does not list ({string.Join(", ", allowed)})");
                if (items.Any(i => i.Id == item.Id)) throw new SuiteException($"{full}: item id '{item.Id}' is used in more than one items file");
                items.Add(item);
            }
        }
        return new Suite
        {
            Name = manifest.Name ?? Path.GetFileNameWithoutExtension(path),
            Description = manifest.Description,
            SystemPrompt = manifest.SystemPrompt,
            FewShot = ReadFewShot(path, manifest.FewShot),
            Generation = ReadGeneration(path, manifest.Generation),
            Items = items,
        };
    }

    private static List<ChatTurn> ReadFewShot(string path, List<Dictionary<string, string>>? examples)
    {
        var turns = new List<ChatTurn>();
        foreach (var example in examples ?? [])
        {
            if (!example.TryGetValue("user", out var user) || !example.TryGetValue("assistant", out var assistant))
                throw new SuiteException($"{path}: each few_shot example needs \"user\" and \"assistant\"");
            turns.Add(new ChatTurn("user", user));
            turns.Add(new ChatTurn("assistant", assistant));
        }
        return turns;
    }

    private static GenerationSettings ReadGeneration(string path, Dictionary<string, string>? generation)
    {
        var settings = new GenerationSettings();
        foreach (var (key, value) in generation ?? [])
        {
            var culture = System.Globalization.CultureInfo.InvariantCulture;
            settings = key switch
            {
                "max_tokens" when int.TryParse(value, culture, out var n) && n > 0 => settings with { MaxOutputTokens = n },
                "temperature" when float.TryParse(value, culture, out var t) && t >= 0 => settings with { Temperature = t },
                "top_p" when float.TryParse(value, culture, out var p) && p is > 0 and <= 1 => settings with { TopP = p },
                "max_tokens" or "temperature" or "top_p" => throw new SuiteException($"{path}: generation.{key} has an invalid value '{value}'"),
                _ => throw new SuiteException($"{path}: unknown generation option '{key}' (known: max_tokens, temperature, top_p)"),
            };
        }
        return settings;
    }
}
