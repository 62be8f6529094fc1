namespace ModelRace.Local.Sampling;

/// <summary>How the next token is chosen from the logits. Temperature 0 means greedy (argmax).</summary>
public sealed record SamplingOptions
{
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    public float Temperature { get; init; } = 0.8f;
    /// <summary>Keep only the k most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; } = 40;
    /// <summary>Keep the smallest set of tokens whose probabilities add up to at least p; 1 keeps all.</summary>
    public float TopP { get; init; } = 0.95f;
    /// <summary>Drop tokens less likely than min-p times the most likely one; 0 keeps all.</summary>
    public float MinP { get; init; } = 0.05f;
    /// <summary>Divides positive (multiplies negative) logits of tokens seen recently; 1 is off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>Subtracted once per earlier occurrence of a token; 0 is off.</summary>
    public float FrequencyPenalty { get; init; }
    /// <summary>Subtracted once from every token that occurred at all; 0 is off.</summary>
    public float PresencePenalty { get; init; }
    /// <summary>How many of the latest tokens the penalties look at.</summary>
    public int PenaltyWindow { get; init; } = 64;
    /// <summary>The same seed gives the same tokens; null picks one at random.</summary>
    public int? Seed { get; init; }

    public void Validate()
    {
        if (!float.IsFinite(Temperature) || Temperature < 0) throw new ArgumentException($"temperature must be 0 or more, not {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top-k must be 0 (off) or more, not {TopK}");
        if (!(TopP is > 0 and <= 1)) throw new ArgumentException($"top-p must be in (0, 1], not {TopP}");
        if (!(MinP is >= 0 and <= 1)) throw new ArgumentException($"min-p must be in [0, 1], not {MinP}");
        if (!float.IsFinite(RepetitionPenalty) || RepetitionPenalty <= 0) throw new ArgumentException($"repetition penalty must be positive, not {RepetitionPenalty}");
        if (!float.IsFinite(FrequencyPenalty) || !float.IsFinite(PresencePenalty)) throw new ArgumentException("frequency and presence penalties must be finite numbers");
        if (PenaltyWindow < 0) throw new ArgumentException($"the penalty window must be 0 or more, not {PenaltyWindow}");
    }
}
