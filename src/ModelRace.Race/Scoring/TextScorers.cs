using System.Text.Json;
using System.Text.RegularExpressions;
using ModelRace.Core.Race;

namespace ModelRace.Race.Scoring;

/// <summary>Right when one of the item's answers, read as a .NET regular expression, matches anywhere (case-insensitive).</summary>
public sealed class RegexScorer : SyncScorer
{
    public override string Name => "regex";

    public override ScoreResult Score(SuiteItem item, string response)
    {
        foreach (var pattern in item.Answers)
        {
            var match = Regex.Match(response, pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            if (match.Success) return ScoreResult.Of(true, match.Value);
        }
        return ScoreResult.Of(false);
    }
}

/// <summary>
/// "contains": right when the reply contains one of the answers (or all of them with options {"all": true});
/// "not-contains": right when it contains none. Case-insensitive unless {"ignore_case": false}.
/// </summary>
public sealed class ContainsScorer(bool negate) : SyncScorer
{
    public override string Name => negate ? "not-contains" : "contains";

    public override ScoreResult Score(SuiteItem item, string response)
    {
        var (ignoreCase, all) = ReadOptions(item.ScorerOptionsJson);
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var found = item.Answers.Where(a => response.Contains(a, comparison)).ToList();
        if (negate) return ScoreResult.Of(found.Count == 0, found.Count > 0 ? found[0] : null);
        var ok = all ? found.Count == item.Answers.Count : found.Count > 0;
        return ScoreResult.Of(ok, found.Count > 0 ? string.Join(" | ", found) : null);
    }

    private static (bool IgnoreCase, bool All) ReadOptions(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return (true, false);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var ignoreCase = !root.TryGetProperty("ignore_case", out var ic) || ic.GetBoolean();
        var all = root.TryGetProperty("all", out var a) && a.GetBoolean();
        return (ignoreCase, all);
    }
}
