using ModelRace.Local.Gguf;

namespace ModelRace.Local.Model;

/// <summary>How rotary position embedding pairs up the dimensions of a head.</summary>
public enum RopeLayout
{
    /// <summary>Adjacent pairs (0,1), (2,3), … — llama.cpp's "normal" mode, used by llama-family GGUFs.</summary>
    Adjacent,
    /// <summary>Pairs (i, i + n/2) — GPT-NeoX layout, used by Qwen.</summary>
    Halves,
}

/// <summary>The hyperparameters of a decoder-only transformer, read from GGUF metadata.</summary>
public sealed record ModelConfig
{
    public static IReadOnlyList<string> SupportedArchitectures { get; } = ["llama", "qwen2", "qwen3"];

    public required string Architecture { get; init; }
    public required int EmbeddingLength { get; init; }
    public required int LayerCount { get; init; }
    public required int HeadCount { get; init; }
    public required int KvHeadCount { get; init; }
    public required int HeadDim { get; init; }
    public required int FeedForwardLength { get; init; }
    public required int VocabSize { get; init; }
    public required float RmsNormEpsilon { get; init; }
    public required float RopeFreqBase { get; init; }
    /// <summary>Positions are multiplied by this (1 / linear scaling factor).</summary>
    public required float RopeFreqScale { get; init; }
    /// <summary>How many dimensions of each head are rotated (the rest pass through).</summary>
    public required int RopeDimensions { get; init; }
    public required RopeLayout RopeLayout { get; init; }
    public required int TrainedContextLength { get; init; }
    /// <summary>Qwen2 adds biases to the Q, K and V projections.</summary>
    public required bool HasQkvBias { get; init; }
    /// <summary>Qwen3 RMS-normalizes each head of Q and K before RoPE.</summary>
    public required bool HasQkNorm { get; init; }

    public int QueryDim => HeadCount * HeadDim;
    public int KvDim => KvHeadCount * HeadDim;
    public int HeadsPerKvHead => HeadCount / KvHeadCount;

    public static ModelConfig FromGguf(GgufFile file)
    {
        var arch = file.Architecture ?? throw new GgufFormatException($"{file.Path}: general.architecture is missing");
        if (!SupportedArchitectures.Contains(arch))
            throw new NotSupportedException(
                $"{file.Path}: architecture '{arch}' is not supported; supported architectures: {string.Join(", ", SupportedArchitectures)}");

        int Int(string key, int? fallback = null) =>
            (int?)file.GetInteger($"{arch}.{key}") ?? fallback ?? throw new GgufFormatException($"{file.Path}: metadata {arch}.{key} is missing");

        var embedding = Int("embedding_length");
        var heads = Int("attention.head_count");
        var kvHeads = Int("attention.head_count_kv", heads);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
            throw new GgufFormatException($"{file.Path}: {heads} attention heads cannot be shared among {kvHeads} key/value heads");
        var headDim = Int("attention.key_length", embedding / heads);
        var embeddings = file.GetTensor("token_embd.weight");
        var vocab = (int)(file.GetInteger($"{arch}.vocab_size") ?? embeddings.RowCount);

        var scaling = file.GetString($"{arch}.rope.scaling.type") ?? "none";
        var factor = (float)(file.GetFloat($"{arch}.rope.scaling.factor") ?? 1.0);
        var freqScale = scaling switch
        {
            "none" => 1f,
            "linear" => factor > 0 ? 1f / factor : throw new GgufFormatException($"{file.Path}: rope scaling factor {factor} must be positive"),
            _ => throw new NotSupportedException($"{file.Path}: rope scaling '{scaling}' is not supported (supported: none, linear)"),
        };

        return new ModelConfig
        {
            Architecture = arch,
            EmbeddingLength = embedding,
            LayerCount = Int("block_count"),
            HeadCount = heads,
            KvHeadCount = kvHeads,
            HeadDim = headDim,
            FeedForwardLength = Int("feed_forward_length"),
            VocabSize = vocab,
            RmsNormEpsilon = (float)(file.GetFloat($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5),
            RopeFreqBase = (float)(file.GetFloat($"{arch}.rope.freq_base") ?? 10000.0),
            RopeFreqScale = freqScale,
            RopeDimensions = Int("rope.dimension_count", headDim),
            RopeLayout = arch == "llama" ? RopeLayout.Adjacent : RopeLayout.Halves,
            TrainedContextLength = Int("context_length", 2048),
            HasQkvBias = arch == "qwen2",
            HasQkNorm = arch == "qwen3",
        };
    }
}
