namespace ModelRace.Local.Sampling;

/// <summary>
/// Picks tokens from logits: penalties on recent tokens, then greedy, or top-k → top-p → min-p → temperature →
/// a draw from a seeded generator (llama.cpp's default order).
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;

    public Sampler(SamplingOptions options)
    {
        options.Validate();
        _options = options;
        _random = new Random(options.Seed ?? Random.Shared.Next());
    }

    /// <summary>Chooses the next token. <paramref name="logits"/> is modified (penalties applied in place).</summary>
    public int Sample(Span<float> logits, IReadOnlyList<int> previousTokens)
    {
        ApplyPenalties(logits, previousTokens);
        if (_options.Temperature <= 0) return ArgMax(logits);

        var candidates = new List<(int Token, float Logit)>(logits.Length);
        for (var i = 0; i < logits.Length; i++) candidates.Add((i, logits[i]));
        candidates.Sort((a, b) => b.Logit.CompareTo(a.Logit));
        if (_options.TopK > 0 && _options.TopK < candidates.Count) candidates.RemoveRange(_options.TopK, candidates.Count - _options.TopK);

        var probabilities = Softmax(candidates, 1f);
        if (_options.TopP < 1)
        {
            double cumulative = 0;
            var keep = candidates.Count;
            for (var i = 0; i < candidates.Count; i++)
            {
                cumulative += probabilities[i];
                if (cumulative >= _options.TopP) { keep = i + 1; break; }
            }
            candidates.RemoveRange(keep, candidates.Count - keep);
            probabilities = Softmax(candidates, 1f);
        }
        if (_options.MinP > 0)
        {
            var threshold = probabilities[0] * _options.MinP;
            var keep = Math.Max(1, probabilities.Count(p => p >= threshold));
            candidates.RemoveRange(keep, candidates.Count - keep);
        }

        probabilities = Softmax(candidates, _options.Temperature);
        var draw = _random.NextDouble();
        double sum = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            sum += probabilities[i];
            if (draw < sum) return candidates[i].Token;
        }
        return candidates[^1].Token;
    }

    private void ApplyPenalties(Span<float> logits, IReadOnlyList<int> previousTokens)
    {
        var o = _options;
        if (o.RepetitionPenalty == 1 && o.FrequencyPenalty == 0 && o.PresencePenalty == 0) return;
        var counts = new Dictionary<int, int>();
        for (var i = Math.Max(0, previousTokens.Count - o.PenaltyWindow); i < previousTokens.Count; i++)
            counts[previousTokens[i]] = counts.GetValueOrDefault(previousTokens[i]) + 1;
        foreach (var (token, count) in counts)
        {
            if ((uint)token >= (uint)logits.Length) continue;
            ref var logit = ref logits[token];
            logit = logit <= 0 ? logit * o.RepetitionPenalty : logit / o.RepetitionPenalty;
            logit -= count * o.FrequencyPenalty + o.PresencePenalty;
        }
    }

    /// <summary>Probabilities of the (sorted) candidates at a temperature, normalized in double.</summary>
    private static double[] Softmax(List<(int Token, float Logit)> candidates, float temperature)
    {
        var max = candidates[0].Logit;
        var weights = candidates.Select(c => Math.Exp((c.Logit - max) / (double)temperature)).ToArray();
        var total = weights.Sum();
        for (var i = 0; i < weights.Length; i++) weights[i] /= total;
        return weights;
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
