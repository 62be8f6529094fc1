using System.Text.Json;
using ModelRace.Local.Runtime;

namespace ModelRace.Cli.Commands;

/// <summary>
/// One row of llama.cpp's `llama-bench -o json`: a test (n_prompt / n_gen, run after n_depth tokens already in the
/// cache; older builds have no n_depth) at a thread count, and its mean speed.
/// </summary>
internal sealed record LlamaBenchEntry(int PromptTokens, int GeneratedTokens, int Depth, int Threads, double AverageTokensPerSecond);

/// <summary>Reads llama-bench's JSON output so that `modelrace bench --compare` can put its figures beside ours.</summary>
internal static class LlamaBenchResults
{
    private const string Shape = "not llama-bench JSON (`llama-bench -o json`: an array of objects with n_prompt, n_gen, n_threads and avg_ts)";

    public static IReadOnlyList<LlamaBenchEntry> Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--compare: cannot read {path}: {e.Message}");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new CliException($"--compare: {path} is {Shape}; it is not even JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new CliException($"--compare: {path} is {Shape}; its top level is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            var entries = document.RootElement.EnumerateArray().Select((element, i) => Entry(path, element, i)).ToList();
            if (entries.Count == 0) throw new CliException($"--compare: {path} holds no llama-bench results");
            return entries;
        }
    }

    /// <summary>
    /// llama-bench's figure for the same test at the same thread count from an empty cache, as ours runs; batched
    /// generation has no counterpart.
    /// </summary>
    public static LlamaBenchEntry? Match(IReadOnlyList<LlamaBenchEntry> entries, SpeedTest test, int threads) =>
        test.Sequences != 1 ? null
        : entries.FirstOrDefault(e => e.PromptTokens == test.PromptTokens && e.GeneratedTokens == test.GeneratedTokens && e.Depth == 0 && e.Threads == threads);

    private static LlamaBenchEntry Entry(string path, JsonElement element, int index)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new CliException($"--compare: {path} is {Shape}; entry {index} is not an object");
        double Number(string field, double? absent = null) =>
            element.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble()
            : absent is { } fallback && !element.TryGetProperty(field, out _) ? fallback
            : throw new CliException($"--compare: {path} is {Shape}; entry {index} has no numeric {field}");
        return new LlamaBenchEntry((int)Number("n_prompt"), (int)Number("n_gen"), (int)Number("n_depth", absent: 0), (int)Number("n_threads"), Number("avg_ts"));
    }
}
