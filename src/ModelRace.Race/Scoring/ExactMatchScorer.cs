using System.Text;
using System.Text.Json;
using ModelRace.Core.Race;

namespace ModelRace.Race.Scoring;

/// <summary>How answers are normalised before exact comparison.</summary>
public sealed record ExactMatchOptions
{
    public bool IgnoreCase { get; init; } = true;
    public bool IgnorePunctuation { get; init; }
    /// <summary>Trim and collapse runs of whitespace into one space.</summary>
    public bool CollapseWhitespace { get; init; } = true;

    public static ExactMatchOptions FromJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return new ExactMatchOptions();
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var options = new ExactMatchOptions();
        if (root.TryGetProperty("ignore_case", out var ic)) options = options with { IgnoreCase = ic.GetBoolean() };
        if (root.TryGetProperty("ignore_punctuation", out var ip)) options = options with { IgnorePunctuation = ip.GetBoolean() };
        if (root.TryGetProperty("collapse_whitespace", out var cw)) options = options with { CollapseWhitespace = cw.GetBoolean() };
        return options;
    }

    public string Normalise(string text)
    {
        var s = text;
        if (IgnorePunctuation)
        {
            var sb = new StringBuilder(s.Length);
            foreach (var c in s) if (!char.IsPunctuation(c) && !char.IsSymbol(c)) sb.Append(c);
            s = sb.ToString();
        }
        if (CollapseWhitespace) s = string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (IgnoreCase) s = s.ToLowerInvariant();
        return s;
    }
}

/// <summary>Right when the normalised answer equals one normalised reference.</summary>
public sealed class ExactMatchScorer : SyncScorer
{
    public override string Name => "exact";

    public override ScoreResult Score(SuiteItem item, string response)
    {
        var options = ExactMatchOptions.FromJson(item.ScorerOptionsJson);
        var answer = options.Normalise(response);
        return ScoreResult.Of(item.Answers.Any(a => options.Normalise(a) == answer), answer);
    }
}
