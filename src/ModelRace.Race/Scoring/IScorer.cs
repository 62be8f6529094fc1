using ModelRace.Core.Race;

namespace ModelRace.Race.Scoring;

/// <summary>The verdict on one answer. Score is 0..1; Extracted is what the scorer compared (shown in reports).</summary>
public sealed record ScoreResult(double Score, string? Extracted = null, string? Note = null)
{
    /// <summary>What an LLM judge cost to reach this verdict; null for scorers that call nothing.</summary>
    public decimal? JudgeCost { get; init; }
    public long? JudgeInputTokens { get; init; }
    public long? JudgeOutputTokens { get; init; }

    public static ScoreResult Of(bool correct, string? extracted = null, string? note = null) => new(correct ? 1 : 0, extracted, note);
}

public interface IScorer
{
    string Name { get; }
    /// <summary>Scores an answer whose reasoning (&lt;think&gt;) has already been stripped.</summary>
    Task<ScoreResult> ScoreAsync(SuiteItem item, string response, CancellationToken cancellationToken);
}

/// <summary>A scorer that could not reach a verdict (e.g. the judge failed); the item counts as an error, never as wrong.</summary>
public sealed class ScoringException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A scorer that needs no I/O.</summary>
public abstract class SyncScorer : IScorer
{
    public abstract string Name { get; }
    public abstract ScoreResult Score(SuiteItem item, string response);
    public Task<ScoreResult> ScoreAsync(SuiteItem item, string response, CancellationToken cancellationToken) =>
        Task.FromResult(Score(item, response));
}
