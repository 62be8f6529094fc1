using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using ModelRace.Core.Race;
using ModelRace.Race.Running;

namespace ModelRace.Race.Scoring;

public enum JudgeMode { Rubric, ReferenceVerdict }

/// <summary>
/// LLM-as-judge. The prompts are documented in docs/suites.md; keep the two in step.
/// A failed or unparseable judge call throws <see cref="ScoringException"/>: the item becomes an error, never a zero.
/// </summary>
public sealed partial class JudgeScorer(IChatClient judge, ContestantInfo judgeInfo, JudgeMode mode) : IScorer
{
    public const string SystemPrompt = "You are a strict, fair grader of answers written by AI assistants. Follow the output format exactly.";
    public const string DefaultRubric = "The answer is correct, complete, relevant to the question, and clearly written.";

    public string Name => mode == JudgeMode.Rubric ? "judge-rubric" : "judge-reference";

    public static string RubricPrompt(string question, string rubric, string answer) =>
        $"""
        Question:
        {question}

        Rubric:
        {rubric}

        Answer to grade:
        {answer}

        Rate the answer against the rubric from 1 (does not meet it at all) to 5 (fully meets it).
        Explain briefly, then end with a line of the form "SCORE: n".
        """;

    public static string ReferencePrompt(string question, string reference, string answer) =>
        $"""
        Question:
        {question}

        Reference answer:
        {reference}

        Candidate answer:
        {answer}

        Is the candidate answer correct when judged against the reference answer? Ignore style and length; judge only
        whether it reaches the same result as the reference. Explain briefly, then end with a line that is exactly
        "VERDICT: CORRECT" or "VERDICT: INCORRECT".
        """;

    public async Task<ScoreResult> ScoreAsync(SuiteItem item, string response, CancellationToken cancellationToken)
    {
        var question = item.Messages.LastOrDefault(m => m.Role == "user")?.Content ?? "";
        var prompt = mode == JudgeMode.Rubric
            ? RubricPrompt(question, ReadRubric(item.ScorerOptionsJson), response)
            : ReferencePrompt(question, item.Answers.Count > 0 ? item.Answers[0]
                : throw new ScoringException($"item {item.Id}: judge-reference needs a reference answer"), response);
        ChatResponse reply;
        try
        {
            reply = await judge.GetResponseAsync(
                [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, prompt)],
                new ChatOptions { Temperature = 0 }, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new ScoringException($"judge {judgeInfo.Name} failed: {e.Message}", e);
        }
        var text = ThinkStripper.Strip(reply.Text);
        var usage = reply.Usage;
        var cost = CostCalculator.Compute(judgeInfo.Prices, usage?.InputTokenCount, usage?.OutputTokenCount, usage?.CachedInputTokenCount);
        var result = mode == JudgeMode.Rubric ? ParseRubric(text) : ParseVerdict(text);
        return result with { JudgeCost = cost, JudgeInputTokens = usage?.InputTokenCount, JudgeOutputTokens = usage?.OutputTokenCount };
    }

    private static string ReadRubric(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return DefaultRubric;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("rubric", out var r) && r.GetString() is { Length: > 0 } rubric ? rubric : DefaultRubric;
    }

    public static ScoreResult ParseRubric(string judgeText)
    {
        var matches = ScoreLine().Matches(judgeText);
        if (matches.Count == 0) throw new ScoringException($"judge reply has no 'SCORE: 1-5' line: {Excerpt(judgeText)}");
        var n = int.Parse(matches[^1].Groups[1].Value, CultureInfo.InvariantCulture);
        return new ScoreResult((n - 1) / 4.0, $"SCORE: {n}", Excerpt(judgeText));
    }

    public static ScoreResult ParseVerdict(string judgeText)
    {
        var matches = VerdictLine().Matches(judgeText);
        if (matches.Count == 0) throw new ScoringException($"judge reply has no 'VERDICT: CORRECT|INCORRECT' line: {Excerpt(judgeText)}");
        var correct = matches[^1].Groups[1].Value.Equals("CORRECT", StringComparison.OrdinalIgnoreCase);
        return ScoreResult.Of(correct, correct ? "CORRECT" : "INCORRECT", Excerpt(judgeText));
    }

    private static string Excerpt(string text) => text.Length <= 300 ? text : text[..300] + "…";

    [GeneratedRegex(@"SCORE:\s*\**\s*([1-5])\b", RegexOptions.IgnoreCase)]
    private static partial Regex ScoreLine();

    [GeneratedRegex(@"VERDICT:\s*\**\s*(CORRECT|INCORRECT)\b", RegexOptions.IgnoreCase)]
    private static partial Regex VerdictLine();
}
