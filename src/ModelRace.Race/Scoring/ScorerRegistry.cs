using Microsoft.Extensions.AI;
using ModelRace.Core.Race;

namespace ModelRace.Race.Scoring;

/// <summary>Scorers by name. Judge scorers exist only when a judge model was given.</summary>
public sealed class ScorerRegistry
{
    private readonly Dictionary<string, IScorer> _scorers = new(StringComparer.OrdinalIgnoreCase);

    public ScorerRegistry(IChatClient? judge = null, ContestantInfo? judgeInfo = null)
    {
        foreach (var scorer in new IScorer[]
                 {
                     new ExactMatchScorer(), new Gsm8kScorer(flexible: false), new Gsm8kScorer(flexible: true), new ChoiceScorer(),
                     new RegexScorer(), new ContainsScorer(negate: false), new ContainsScorer(negate: true),
                     new JsonValidScorer(), new JsonSchemaScorer(),
                 })
            _scorers[scorer.Name] = scorer;
        _scorers["numeric"] = _scorers["gsm8k-flexible"];
        if (judge is not null)
        {
            var info = judgeInfo ?? new ContestantInfo { Name = "judge", Endpoint = "judge", Model = "judge" };
            _scorers["judge-rubric"] = new JudgeScorer(judge, info, JudgeMode.Rubric);
            _scorers["judge-reference"] = new JudgeScorer(judge, info, JudgeMode.ReferenceVerdict);
        }
    }

    public static IReadOnlyList<string> KnownNames { get; } =
        ["exact", "gsm8k-strict", "gsm8k-flexible", "numeric", "choice", "regex", "contains", "not-contains", "json", "json-schema", "judge-rubric", "judge-reference"];

    public IScorer Get(string name) =>
        _scorers.TryGetValue(name, out var scorer) ? scorer
        : name.StartsWith("judge", StringComparison.OrdinalIgnoreCase)
            ? throw new ScoringException($"scorer '{name}' needs a judge model: pass --judge ENDPOINT")
            : throw new ScoringException($"unknown scorer '{name}'; known: {string.Join(", ", KnownNames)}");

    /// <summary>Fails before any model is called when a suite names a scorer that cannot run.</summary>
    public void CheckAll(IEnumerable<SuiteItem> items)
    {
        foreach (var name in items.Select(i => i.Scorer).Distinct(StringComparer.OrdinalIgnoreCase)) Get(name);
    }
}
