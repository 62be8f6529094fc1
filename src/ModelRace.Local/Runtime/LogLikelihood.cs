using ModelRace.Local.Model;

namespace ModelRace.Local.Runtime;

/// <summary>The log-probabilities of one continuation's tokens, and whether greedy decoding would have produced it.</summary>
public sealed record ContinuationScore(IReadOnlyList<double> TokenLogProbabilities, bool IsGreedy)
{
    public double Total => TokenLogProbabilities.Sum();
}

/// <summary>
/// Scores continuations of a shared context (multiple-choice evaluation): the context is evaluated once, then each
/// continuation runs from a rollback of the cache to the end of the context.
/// </summary>
public static class LogLikelihood
{
    public static IReadOnlyList<ContinuationScore> Score(Transformer model, IReadOnlyList<int> context, IReadOnlyList<IReadOnlyList<int>> continuations, int? contextLength = null)
    {
        if (context.Count == 0) throw new ArgumentException("the context needs at least one token (e.g. BOS) to predict the first continuation token from");
        var longest = continuations.Count == 0 ? 0 : continuations.Max(c => c.Count);
        var cache = model.CreateCache(contextLength ?? Math.Max(model.Config.TrainedContextLength, context.Count + longest));
        if (context.Count + longest > cache.ContextLength) throw new ContextLengthExceededException(context.Count + longest, cache.ContextLength);

        var afterContext = model.Forward(context.ToArray(), cache);
        var vocab = model.Config.VocabSize;
        var scores = new List<ContinuationScore>(continuations.Count);
        foreach (var continuation in continuations)
        {
            if (continuation.Count == 0) { scores.Add(new ContinuationScore([], true)); continue; }
            cache.Truncate(context.Count);
            // Logits after the context predict the first token; logits after token i predict token i + 1.
            var logits = continuation.Count > 1 ? model.Forward(continuation.Take(continuation.Count - 1).ToArray(), cache, allLogits: true) : [];
            var logProbabilities = new double[continuation.Count];
            var greedy = true;
            for (var i = 0; i < continuation.Count; i++)
            {
                var row = i == 0 ? afterContext : logits.AsSpan((i - 1) * vocab, vocab);
                logProbabilities[i] = LogSoftmaxAt(row, continuation[i]);
                greedy &= Sampling.Sampler.ArgMax(row) == continuation[i];
            }
            scores.Add(new ContinuationScore(logProbabilities, greedy));
        }
        return scores;
    }

    private static double LogSoftmaxAt(ReadOnlySpan<float> logits, int token)
    {
        if ((uint)token >= (uint)logits.Length) throw new ArgumentOutOfRangeException(nameof(token), token, $"token id outside the vocabulary of {logits.Length}");
        double max = float.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        return logits[token] - max - Math.Log(sum);
    }
}
