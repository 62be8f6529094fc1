using ModelRace.Local.Gguf;

namespace ModelRace.Local.Synth;

/// <summary>The shape of a synthetic llama-family model. Defaults follow the architecture (rope base, norm epsilon).</summary>
public sealed record SynthSpec
{
    public static readonly IReadOnlyList<string> Architectures = ["llama", "qwen2", "qwen3"];
    public static readonly IReadOnlyList<GgmlType> WeightTypes =
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    public string Architecture { get; init; } = "llama";
    public required int EmbeddingLength { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public int? KvHeads { get; init; }
    public required int FeedForwardLength { get; init; }
    /// <summary>Per-head width; defaults to EmbeddingLength / Heads (Qwen3 models often set it wider).</summary>
    public int? HeadDimension { get; init; }
    public GgmlType WeightType { get; init; } = GgmlType.F16;
    public ulong Seed { get; init; } = 1;
    /// <summary>No output.weight: the output head reuses token_embd.weight.</summary>
    public bool TiedOutput { get; init; }
    public int ContextLength { get; init; } = 2048;
    public double? RopeFreqBase { get; init; }
    public double? RmsNormEpsilon { get; init; }
    /// <summary>Standard deviation of the random weights; small so that activations stay in a sane range.</summary>
    public float WeightScale { get; init; } = 0.02f;

    public int KvHeadCount => KvHeads ?? Heads;
    public int HeadDim => HeadDimension ?? (Heads > 0 ? EmbeddingLength / Heads : 0);
    public double RopeBase => RopeFreqBase ?? (Architecture == "llama" ? 10000 : 1000000);
    public double NormEpsilon => RmsNormEpsilon ?? (Architecture == "llama" ? 1e-5 : 1e-6);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first thing wrong with the shape.</summary>
    public void Validate()
    {
        if (!Architectures.Contains(Architecture))
            throw new ArgumentException($"architecture '{Architecture}' is not one of {string.Join(", ", Architectures)}");
        if (!WeightTypes.Contains(WeightType))
            throw new ArgumentException($"weight type {WeightType} is not one of {string.Join(", ", WeightTypes)}");
        foreach (var (name, value) in new[] { ("embedding length", EmbeddingLength), ("layer count", Layers), ("head count", Heads), ("feed-forward length", FeedForwardLength), ("context length", ContextLength) })
            if (value <= 0) throw new ArgumentException($"{name} must be positive, not {value}");
        if (KvHeadCount <= 0 || Heads % KvHeadCount != 0)
            throw new ArgumentException($"kv head count {KvHeadCount} must be positive and divide the head count {Heads}");
        if (HeadDimension is null && EmbeddingLength % Heads != 0)
            throw new ArgumentException($"embedding length {EmbeddingLength} is not a multiple of the head count {Heads}; give a head dimension");
        if (HeadDim <= 0 || HeadDim % 2 != 0) throw new ArgumentException($"head dimension {HeadDim} must be positive and even (rope rotates pairs)");
        if (HeadDimension is not null && Architecture != "qwen3" && HeadDim * Heads != EmbeddingLength)
            throw new ArgumentException($"only qwen3 models may have heads × head dimension ({Heads} × {HeadDim}) differ from the embedding length {EmbeddingLength}");
        if (!float.IsFinite(WeightScale) || WeightScale <= 0) throw new ArgumentException($"weight scale must be positive, not {WeightScale}");
    }
}
