using ModelRace.Core.Race;

namespace ModelRace.Race.Scoring;

/// <summary>acc: 1 when the gold choice has the highest log-likelihood; acc_norm: the same after dividing each by its length in characters.</summary>
public sealed record LogLikelihoodVerdict(int Predicted, int PredictedNormalised, double Acc, double AccNorm, IReadOnlyList<double> LogLikelihoods);

/// <summary>
/// Multiple choice by log-likelihood, as lm-evaluation-harness: each choice is scored as the continuation
/// " " + choice after the question context; acc = argmax of the log-likelihood, acc_norm = argmax of log-likelihood
/// divided by the choice's length in characters. Ties go to the first choice (numpy argmax).
/// </summary>
public static class LogLikelihoodChoice
{
    public const string TargetDelimiter = " ";

    public static string Context(SuiteItem item) =>
        string.Join("\n", item.Messages.Where(m => m.Role != "assistant").Select(m => m.Content)) + "\nAnswer:";

    public static async Task<LogLikelihoodVerdict> ScoreAsync(ILogLikelihoodModel model, SuiteItem item, CancellationToken cancellationToken)
    {
        if (item.Choices.Count < 2) throw new ScoringException($"item {item.Id}: log-likelihood scoring needs at least two choices");
        if (item.Answers.Count == 0 || item.Answers[0].Trim().Length != 1) throw new ScoringException($"item {item.Id}: the answer must be a choice letter");
        var gold = char.ToUpperInvariant(item.Answers[0].Trim()[0]) - 'A';
        if (gold < 0 || gold >= item.Choices.Count) throw new ScoringException($"item {item.Id}: answer {item.Answers[0]} is not one of the {item.Choices.Count} choices");
        var continuations = item.Choices.Select(c => TargetDelimiter + c).ToList();
        var logLikelihoods = await model.ScoreContinuationsAsync(Context(item), continuations, cancellationToken);
        if (logLikelihoods.Count != continuations.Count)
            throw new ScoringException($"item {item.Id}: the model returned {logLikelihoods.Count} scores for {continuations.Count} choices");
        return Decide(logLikelihoods, item.Choices.Select(c => c.Length).ToList(), gold);
    }

    public static LogLikelihoodVerdict Decide(IReadOnlyList<double> logLikelihoods, IReadOnlyList<int> choiceLengths, int gold)
    {
        var predicted = ArgMax(logLikelihoods);
        var normalised = ArgMax(logLikelihoods.Select((ll, i) => ll / Math.Max(1, choiceLengths[i])).ToList());
        return new LogLikelihoodVerdict(predicted, normalised, predicted == gold ? 1 : 0, normalised == gold ? 1 : 0, logLikelihoods);
    }

    private static int ArgMax(IReadOnlyList<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Count; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
