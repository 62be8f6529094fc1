using ModelRace.Core.Race;

namespace ModelRace.Race.Suites;

/// <summary>
/// Turns a suite argument into a suite: "quick" (built in), "gsm8k:PATH", "mmlu:DIR", "arc:PATH", "hellaswag:PATH",
/// "truthfulqa:PATH", a YAML manifest (.yaml/.yml) or a bare JSONL file. A loader's PATH may be
/// "hf://OWNER/NAME[@REVISION]/FILE", downloaded from the Hugging Face hub into the cache first.
/// </summary>
public sealed class SuiteResolver(HuggingFaceHub? hub = null)
{
    public static readonly IReadOnlyList<string> LoaderNames = ["gsm8k", "mmlu", "arc", "hellaswag", "truthfulqa"];

    public async Task<Suite> ResolveAsync(string argument, CancellationToken cancellationToken)
    {
        if (argument.Equals("quick", StringComparison.OrdinalIgnoreCase)) return BuiltInSuites.Quick();
        var colon = argument.IndexOf(':', StringComparison.Ordinal);
        if (colon > 1 && LoaderNames.Contains(argument[..colon], StringComparer.OrdinalIgnoreCase))
        {
            var loader = argument[..colon].ToLowerInvariant();
            var path = argument[(colon + 1)..];
            if (path.StartsWith("hf://", StringComparison.Ordinal))
                path = await (hub ?? throw new SuiteException("downloads from the Hugging Face hub are not available here")).DownloadAsync(path, cancellationToken);
            return loader switch
            {
                "gsm8k" => BenchmarkLoaders.Gsm8k(path),
                "mmlu" => BenchmarkLoaders.Mmlu(path),
                "arc" => BenchmarkLoaders.Arc(path),
                "hellaswag" => BenchmarkLoaders.HellaSwag(path),
                _ => BenchmarkLoaders.TruthfulQaMc1(path),
            };
        }
        if (!File.Exists(argument))
            throw new SuiteException($"suite '{argument}' is not a file; use quick, a .jsonl or .yaml suite file, or {string.Join(", ", LoaderNames.Select(n => n + ":PATH"))}");
        if (argument.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || argument.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            return SuiteManifest.Load(argument);
        using var reader = new StreamReader(argument);
        var items = JsonlItemReader.Read(reader, argument, "exact");
        if (items.Count == 0) throw new SuiteException($"{argument} holds no items");
        return new Suite { Name = Path.GetFileNameWithoutExtension(argument), Items = items };
    }

    /// <summary>Several suites raced together: item ids get the suite name in front so they cannot clash.</summary>
    public static Suite Combine(IReadOnlyList<Suite> suites)
    {
        if (suites.Count == 1) return suites[0];
        return new Suite
        {
            Name = string.Join("+", suites.Select(s => s.Name)),
            Items = suites.SelectMany(s => s.Items.Select(i => i with
            {
                Id = $"{s.Name}/{i.Id}", Category = i.Category ?? s.Name,
                // Each suite's own system prompt and examples travel with its items.
                Messages = [.. s.SystemPrompt is { Length: > 0 } sp ? new[] { new ChatTurn("system", sp) } : [], .. s.FewShot, .. i.Messages],
            })).ToList(),
        };
    }

    /// <summary>A fixed-seed sample of <paramref name="limit"/> items, kept in suite order; the same seed always picks the same items.</summary>
    public static Suite Sample(Suite suite, int? limit, int seed = 1234)
    {
        if (limit is null || limit >= suite.Items.Count) return suite;
        if (limit < 1) throw new SuiteException("--limit must be at least 1");
        var random = new Random(seed);
        var chosen = Enumerable.Range(0, suite.Items.Count).OrderBy(_ => random.Next()).Take(limit.Value).Order().ToList();
        return suite with { Items = chosen.Select(i => suite.Items[i]).ToList() };
    }
}

public static class BuiltInSuites
{
    /// <summary>About 120 items written for ModelRace, every one scored automatically.</summary>
    public static Suite Quick()
    {
        using var stream = typeof(BuiltInSuites).Assembly.GetManifestResourceStream("ModelRace.Race.Suites.BuiltIn.quick.jsonl")
            ?? throw new InvalidOperationException("the built-in quick suite is missing from the assembly");
        using var reader = new StreamReader(stream);
        return new Suite
        {
            Name = "quick",
            Description = "ModelRace quick suite: knowledge, arithmetic, reasoning, instruction following, extraction, classification, multilingual and enterprise tasks.",
            SystemPrompt = "You are a helpful assistant. Follow the instructions exactly and keep answers short.",
            Generation = new GenerationSettings { MaxOutputTokens = 512, Temperature = 0 },
            Items = JsonlItemReader.Read(reader, "built-in:quick.jsonl", "exact"),
        };
    }
}
