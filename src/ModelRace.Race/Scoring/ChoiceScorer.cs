using System.Text.RegularExpressions;
using ModelRace.Core.Race;

namespace ModelRace.Race.Scoring;

/// <summary>
/// Multiple choice by letter: finds the one letter the model chose and compares it with the reference letter.
/// An explicit "answer is X" / "Answer: X" wins (the last one, as models often restate); otherwise a reply that
/// is or starts with a letter; otherwise a single distinct standalone letter. Several candidate letters with no
/// explicit answer are ambiguous and count as wrong.
/// </summary>
public sealed partial class ChoiceScorer : SyncScorer
{
    public override string Name => "choice";

    public override ScoreResult Score(SuiteItem item, string response)
    {
        var letterCount = item.Choices.Count > 0 ? item.Choices.Count : 26;
        var letter = Extract(response, letterCount);
        if (letter is null) return ScoreResult.Of(false, null, "no single letter found");
        return ScoreResult.Of(item.Answers.Any(a => a.Trim().Equals(letter, StringComparison.OrdinalIgnoreCase)), letter);
    }

    public static string? Extract(string response, int letterCount)
    {
        var last = (char)('A' + Math.Clamp(letterCount, 1, 26) - 1);
        bool Valid(string s) => s.Length == 1 && char.ToUpperInvariant(s[0]) >= 'A' && char.ToUpperInvariant(s[0]) <= last;

        var explicitMatches = ExplicitAnswer().Matches(response).Where(m => Valid(m.Groups[1].Value)).ToList();
        if (explicitMatches.Count > 0) return explicitMatches[^1].Groups[1].Value.ToUpperInvariant();

        var standalone = StandaloneLetter().Matches(response).Select(m => m.Groups[1].Value).Where(Valid).Distinct().ToList();
        var leading = LeadingLetter().Match(response);
        // "B) because…" is an answer; "A or B" is not, so a bare leading letter counts only when no other letter competes.
        var marked = leading.Groups[1].Length + leading.Groups[3].Length + leading.Groups[4].Length > 0;
        if (leading.Success && Valid(leading.Groups[2].Value) && (marked || standalone.Count == 1))
            return leading.Groups[2].Value;
        return standalone.Count == 1 ? standalone[0] : null;
    }

    [GeneratedRegex(@"(?i:answer|option|choice)\s*(?i:is|:)?\s*(?i:is\s*)?[:\-]?\s*\**\(?([A-Z]|[a-z](?=\s*$|[.)\]]))\)?\**(?![A-Za-z])")]
    private static partial Regex ExplicitAnswer();

    [GeneratedRegex(@"^\s*\**(\(?)([A-Z])(\)?)\**([.:,]?)(?=\s|$)")]
    private static partial Regex LeadingLetter();

    [GeneratedRegex(@"(?<![A-Za-z'])\(?([A-Z])\)?(?![A-Za-z'])")]
    private static partial Regex StandaloneLetter();
}
