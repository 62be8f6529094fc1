using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Model;

/// <summary>One transformer block's weights. Matrices stay in the mapped file; small vectors are decoded to floats.</summary>
public sealed class LayerWeights
{
    public required float[] AttentionNorm { get; init; }
    public required WeightMatrix Query { get; init; }
    public required WeightMatrix Key { get; init; }
    public required WeightMatrix Value { get; init; }
    public required WeightMatrix AttentionOutput { get; init; }
    public float[]? QueryBias { get; init; }
    public float[]? KeyBias { get; init; }
    public float[]? ValueBias { get; init; }
    /// <summary>Qwen3: per-head RMSNorm weights (headDim values) for Q and K.</summary>
    public float[]? QueryNorm { get; init; }
    public float[]? KeyNorm { get; init; }
    public required float[] FeedForwardNorm { get; init; }
    public required WeightMatrix Gate { get; init; }
    public required WeightMatrix Up { get; init; }
    public required WeightMatrix Down { get; init; }
}

/// <summary>All weights of a model, looked up by their llama.cpp tensor names.</summary>
public sealed class ModelWeights
{
    public required WeightMatrix TokenEmbedding { get; init; }
    public required float[] OutputNorm { get; init; }
    /// <summary>output.weight, or the token embeddings when the head is tied to them.</summary>
    public required WeightMatrix Output { get; init; }
    /// <summary>rope_freqs.weight (Llama 3.1-style per-pair frequency divisors), if present.</summary>
    public float[]? RopeFrequencyFactors { get; init; }
    public required IReadOnlyList<LayerWeights> Layers { get; init; }

    public static ModelWeights Load(GgufFile file, ModelConfig config)
    {
        WeightMatrix Matrix(string name, int columns, int rows)
        {
            var tensor = file.GetTensor(name);
            var matrix = WeightMatrix.FromTensor(file, tensor);
            if (matrix.Columns != columns || matrix.Rows != rows)
                throw new GgufFormatException($"{file.Path}: tensor '{name}' is {matrix.Columns}×{matrix.Rows}; the model's hyperparameters need {columns}×{rows}");
            return matrix;
        }
        float[]? OptionalVector(string name, int length)
        {
            var tensor = file.FindTensor(name);
            if (tensor is null) return null;
            if (tensor.ElementCount != length)
                throw new GgufFormatException($"{file.Path}: tensor '{name}' holds {tensor.ElementCount} values; the model needs {length}");
            return DecodeVector(file, tensor);
        }
        float[] Vector(string name, int length) =>
            OptionalVector(name, length) ?? throw new GgufFormatException($"{file.Path}: the model has no tensor named '{name}'");

        var dim = config.EmbeddingLength;
        var layers = new List<LayerWeights>(config.LayerCount);
        for (var i = 0; i < config.LayerCount; i++)
        {
            var p = $"blk.{i}.";
            layers.Add(new LayerWeights
            {
                AttentionNorm = Vector(p + "attn_norm.weight", dim),
                Query = Matrix(p + "attn_q.weight", dim, config.QueryDim),
                Key = Matrix(p + "attn_k.weight", dim, config.KvDim),
                Value = Matrix(p + "attn_v.weight", dim, config.KvDim),
                AttentionOutput = Matrix(p + "attn_output.weight", config.QueryDim, dim),
                QueryBias = config.HasQkvBias ? Vector(p + "attn_q.bias", config.QueryDim) : OptionalVector(p + "attn_q.bias", config.QueryDim),
                KeyBias = config.HasQkvBias ? Vector(p + "attn_k.bias", config.KvDim) : OptionalVector(p + "attn_k.bias", config.KvDim),
                ValueBias = config.HasQkvBias ? Vector(p + "attn_v.bias", config.KvDim) : OptionalVector(p + "attn_v.bias", config.KvDim),
                QueryNorm = config.HasQkNorm ? Vector(p + "attn_q_norm.weight", config.HeadDim) : null,
                KeyNorm = config.HasQkNorm ? Vector(p + "attn_k_norm.weight", config.HeadDim) : null,
                FeedForwardNorm = Vector(p + "ffn_norm.weight", dim),
                Gate = Matrix(p + "ffn_gate.weight", dim, config.FeedForwardLength),
                Up = Matrix(p + "ffn_up.weight", dim, config.FeedForwardLength),
                Down = Matrix(p + "ffn_down.weight", config.FeedForwardLength, dim),
            });
        }
        var embedding = Matrix("token_embd.weight", dim, config.VocabSize);
        return new ModelWeights
        {
            TokenEmbedding = embedding,
            OutputNorm = Vector("output_norm.weight", dim),
            Output = file.FindTensor("output.weight") is null ? embedding : Matrix("output.weight", dim, config.VocabSize),
            RopeFrequencyFactors = OptionalVector("rope_freqs.weight", config.RopeDimensions / 2),
            Layers = layers,
        };
    }

    private static unsafe float[] DecodeVector(GgufFile file, GgufTensorInfo tensor)
    {
        if (!BlockDecode.IsSupported(tensor.Type)) throw new NotSupportedException($"tensor '{tensor.Name}' has type {tensor.Type}, which this runtime does not support");
        var values = new float[tensor.ElementCount];
        RowDot.Decode(tensor.Type, file.TensorPointer(tensor), values);
        return values;
    }
}
