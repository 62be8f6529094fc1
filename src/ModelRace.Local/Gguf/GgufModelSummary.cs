namespace ModelRace.Local.Gguf;

/// <summary>How much of a model one tensor type accounts for.</summary>
public sealed record GgufTypeShare(GgmlType Type, int Tensors, long Parameters, long Bytes);

/// <summary>
/// The facts a person choosing or debugging a GGUF model wants first: architecture, shape, size by tensor type,
/// tokenizer and chat template. Missing metadata stays null rather than guessed.
/// </summary>
public sealed record GgufModelSummary
{
    public required string Path { get; init; }
    public required uint Version { get; init; }
    public required long FileBytes { get; init; }
    public string? Architecture { get; init; }
    public string? Name { get; init; }
    public required long ParameterCount { get; init; }
    public required int TensorCount { get; init; }
    public required IReadOnlyList<GgufTypeShare> TypeMix { get; init; }
    public long? ContextLength { get; init; }
    public long? EmbeddingLength { get; init; }
    public long? BlockCount { get; init; }
    public long? FeedForwardLength { get; init; }
    public long? HeadCount { get; init; }
    public long? HeadCountKv { get; init; }
    /// <summary>attention.key_length when present, else embedding length / head count.</summary>
    public long? HeadDimension { get; init; }
    public double? RopeFreqBase { get; init; }
    public double? RmsNormEpsilon { get; init; }
    /// <summary>True when there is no output.weight, so the output head reuses token_embd.</summary>
    public required bool TiedOutput { get; init; }
    public string? TokenizerModel { get; init; }
    public string? TokenizerPre { get; init; }
    public int? VocabSize { get; init; }
    public long? BosTokenId { get; init; }
    public long? EosTokenId { get; init; }
    public string? ChatTemplate { get; init; }

    public static GgufModelSummary Describe(GgufFile file)
    {
        var arch = file.Architecture;
        long? ArchInteger(string suffix) => arch is null ? null : Integer(file, $"{arch}.{suffix}");
        double? ArchFloat(string suffix) => arch is null ? null : Float(file, $"{arch}.{suffix}");

        var mix = file.Tensors.GroupBy(t => t.Type)
            .Select(g => new GgufTypeShare(g.Key, g.Count(), g.Sum(t => t.ElementCount), g.Sum(t => t.ByteSize)))
            .OrderByDescending(s => s.Bytes).ToList();
        var embedding = ArchInteger("embedding_length");
        var heads = ArchInteger("attention.head_count");
        var tokens = file.GetArray("tokenizer.ggml.tokens");
        return new GgufModelSummary
        {
            Path = file.Path,
            Version = file.Version,
            FileBytes = file.Length,
            Architecture = arch,
            Name = file.GetString("general.name"),
            ParameterCount = file.Tensors.Sum(t => t.ElementCount),
            TensorCount = file.Tensors.Count,
            TypeMix = mix,
            ContextLength = ArchInteger("context_length"),
            EmbeddingLength = embedding,
            BlockCount = ArchInteger("block_count"),
            FeedForwardLength = ArchInteger("feed_forward_length"),
            HeadCount = heads,
            HeadCountKv = ArchInteger("attention.head_count_kv") ?? heads,
            HeadDimension = ArchInteger("attention.key_length") ?? (embedding is > 0 && heads is > 0 ? embedding / heads : null),
            RopeFreqBase = ArchFloat("rope.freq_base"),
            RmsNormEpsilon = ArchFloat("attention.layer_norm_rms_epsilon"),
            TiedOutput = file.FindTensor("output.weight") is null && file.FindTensor("token_embd.weight") is not null,
            TokenizerModel = file.GetString("tokenizer.ggml.model"),
            TokenizerPre = file.GetString("tokenizer.ggml.pre"),
            VocabSize = tokens?.Items.Count ?? (int?)ArchInteger("vocab_size"),
            BosTokenId = Integer(file, "tokenizer.ggml.bos_token_id"),
            EosTokenId = Integer(file, "tokenizer.ggml.eos_token_id"),
            ChatTemplate = file.GetString("tokenizer.chat_template"),
        };
    }

    /// <summary>An integer key, or null when absent or not a scalar integer (some models give per-layer arrays).</summary>
    private static long? Integer(GgufFile file, string key)
    {
        var value = file.Find(key);
        if (value is null || value.Type is GgufValueType.Array or GgufValueType.String or GgufValueType.Float32 or GgufValueType.Float64 or GgufValueType.Bool)
            return null;
        return value.Value is ulong u && u > long.MaxValue ? null : value.AsInt64();
    }

    private static double? Float(GgufFile file, string key)
    {
        var value = file.Find(key);
        if (value is null || value.Type is GgufValueType.Array or GgufValueType.String or GgufValueType.Bool) return null;
        return value.Value is ulong u ? u : value.AsDouble();
    }
}
