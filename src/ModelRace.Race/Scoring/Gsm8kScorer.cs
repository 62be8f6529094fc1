using System.Text.RegularExpressions;
using ModelRace.Core.Race;

namespace ModelRace.Race.Scoring;

/// <summary>
/// GSM8K answer matching exactly as EleutherAI lm-evaluation-harness (tasks/gsm8k/gsm8k.yaml):
/// "strict-match" takes the first match of <c>#### (\-?[0-9\.\,]+)</c>; "flexible-extract" takes the last match of
/// <c>(-?[$0-9.,]{2,})|(-?[0-9]+)</c>; no match gives "[invalid]". Then exact_match with ignore_case and
/// regexes_to_ignore [",", "\$", "(?s).*#### ", "\.$"] applied to both prediction and reference.
/// </summary>
public sealed partial class Gsm8kScorer(bool flexible) : SyncScorer
{
    public const string Invalid = "[invalid]";

    public override string Name => flexible ? "gsm8k-flexible" : "gsm8k-strict";

    public override ScoreResult Score(SuiteItem item, string response)
    {
        var extracted = flexible ? ExtractFlexible(response) : ExtractStrict(response);
        var prediction = Clean(extracted);
        return ScoreResult.Of(item.Answers.Any(a => Clean(a) == prediction), extracted);
    }

    public static string ExtractStrict(string text)
    {
        var match = StrictPattern().Match(text);
        return match.Success ? match.Groups[1].Value : Invalid;
    }

    public static string ExtractFlexible(string text)
    {
        var matches = FlexiblePattern().Matches(text);
        if (matches.Count == 0) return Invalid;
        var last = matches[^1];
        // Python's re.findall yields a tuple of both groups; the harness keeps the first non-empty one.
        return last.Groups[1].Success && last.Groups[1].Length > 0 ? last.Groups[1].Value : last.Groups[2].Value;
    }

    /// <summary>The harness's regexes_to_ignore, in order, then lower case.</summary>
    public static string Clean(string text)
    {
        var s = text.Replace(",", "", StringComparison.Ordinal).Replace("$", "", StringComparison.Ordinal);
        s = UpToHashes().Replace(s, "");
        s = TrailingDot().Replace(s, "");
        return s.ToLowerInvariant();
    }

    [GeneratedRegex(@"#### (\-?[0-9\.\,]+)")]
    private static partial Regex StrictPattern();

    [GeneratedRegex(@"(-?[$0-9.,]{2,})|(-?[0-9]+)")]
    private static partial Regex FlexiblePattern();

    [GeneratedRegex(@"(?s).*#### ")]
    private static partial Regex UpToHashes();

    // Python's "$" also matches before a final newline; .NET's does too without RegexOptions.Multiline.
    [GeneratedRegex(@"\.$")]
    private static partial Regex TrailingDot();
}
