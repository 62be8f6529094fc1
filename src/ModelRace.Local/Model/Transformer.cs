using System.Buffers;
using System.Numerics.Tensors;
using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Model;

/// <summary>
/// A llama-family decoder (llama, qwen2, qwen3) running on weights memory-mapped from a GGUF file.
/// <see cref="Forward"/> is the whole model: embeddings → N × (attention + SwiGLU feed-forward) → norm → logits.
/// One forward pass runs at a time per model (the scratch buffers are shared); callers serialize.
/// </summary>
public sealed class Transformer : IDisposable
{
    /// <summary>Prompt tokens processed together in one matrix-matrix pass.</summary>
    public const int MaxBatch = 32;

    private readonly GgufFile? _ownedFile;
    private readonly Scratch _scratch;
    private readonly Lock _forwardLock = new();

    public ModelConfig Config { get; }
    public ModelWeights Weights { get; }
    public GgufFile File { get; }

    public Transformer(GgufFile file, bool ownsFile = false)
    {
        File = file;
        _ownedFile = ownsFile ? file : null;
        Config = ModelConfig.FromGguf(file);
        Weights = ModelWeights.Load(file, Config);
        _scratch = new Scratch(Config);
    }

    public static Transformer Load(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            return new Transformer(file, ownsFile: true);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>A cache for one sequence of up to <paramref name="contextLength"/> tokens (default: the trained context).</summary>
    public KvCache CreateCache(int? contextLength = null)
    {
        var length = contextLength ?? Config.TrainedContextLength;
        var rope = new RopeTable(length, Config.RopeDimensions, Config.RopeFreqBase, Config.RopeFreqScale, Weights.RopeFrequencyFactors);
        return new KvCache(Config, length, rope);
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> at the next positions of <paramref name="cache"/> and appends their keys and values.
    /// Returns the logits after the last token (VocabSize values), or after every token (tokens × VocabSize) when
    /// <paramref name="allLogits"/> is set.
    /// </summary>
    public float[] Forward(ReadOnlySpan<int> tokens, KvCache cache, bool allLogits = false)
    {
        if (tokens.IsEmpty) throw new ArgumentException("at least one token is needed", nameof(tokens));
        if (cache.Config != Config) throw new ArgumentException("the cache was made for another model", nameof(cache));
        if (cache.Length + tokens.Length > cache.ContextLength) throw new ContextLengthExceededException(cache.Length + tokens.Length, cache.ContextLength);
        foreach (var token in tokens)
            if ((uint)token >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), token, $"token id outside the vocabulary of {Config.VocabSize}");

        var vocab = Config.VocabSize;
        var logits = new float[(allLogits ? tokens.Length : 1) * vocab];
        lock (_forwardLock)
        {
            for (var start = 0; start < tokens.Length; start += MaxBatch)
            {
                var batch = tokens.Slice(start, Math.Min(MaxBatch, tokens.Length - start));
                var isLastBatch = start + batch.Length == tokens.Length;
                ForwardBatch(batch, cache);
                if (allLogits) ComputeLogits(0, batch.Length, logits.AsSpan(start * vocab, batch.Length * vocab));
                else if (isLastBatch) ComputeLogits(batch.Length - 1, 1, logits);
            }
        }
        return logits;
    }

    private void ForwardBatch(ReadOnlySpan<int> tokens, KvCache cache)
    {
        var c = Config;
        var s = _scratch;
        var n = tokens.Length;
        int dim = c.EmbeddingLength, qDim = c.QueryDim, kvDim = c.KvDim, ffn = c.FeedForwardLength;
        var firstPosition = cache.Length;

        for (var b = 0; b < n; b++) Embed(tokens[b], s.Residual.AsSpan(b * dim, dim));

        for (var l = 0; l < c.LayerCount; l++)
        {
            var layer = Weights.Layers[l];

            // Attention: normalize, project to Q/K/V, position-encode, store K/V, attend, project back, add.
            for (var b = 0; b < n; b++)
                Ops.RmsNorm(s.Residual.AsSpan(b * dim, dim), layer.AttentionNorm, c.RmsNormEpsilon, s.Normed.AsSpan(b * dim, dim));
            MatMul.Multiply(layer.Query, s.Normed, s.Query, n);
            MatMul.Multiply(layer.Key, s.Normed, s.Key, n);
            MatMul.Multiply(layer.Value, s.Normed, s.Value, n);
            for (var b = 0; b < n; b++)
            {
                var query = s.Query.AsSpan(b * qDim, qDim);
                var key = s.Key.AsSpan(b * kvDim, kvDim);
                var value = s.Value.AsSpan(b * kvDim, kvDim);
                if (layer.QueryBias is not null) TensorPrimitives.Add(query, layer.QueryBias, query);
                if (layer.KeyBias is not null) TensorPrimitives.Add(key, layer.KeyBias, key);
                if (layer.ValueBias is not null) TensorPrimitives.Add(value, layer.ValueBias, value);
                if (layer.QueryNorm is not null) NormalizeHeads(query, layer.QueryNorm);
                if (layer.KeyNorm is not null) NormalizeHeads(key, layer.KeyNorm);
                var position = firstPosition + b;
                var adjacent = c.RopeLayout == RopeLayout.Adjacent;
                Ops.Rope(query, c.HeadDim, cache.Rope.Cos(position), cache.Rope.Sin(position), adjacent);
                Ops.Rope(key, c.HeadDim, cache.Rope.Cos(position), cache.Rope.Sin(position), adjacent);
                // The cache holds fp16-precision values, as llama.cpp's default F16 cache does.
                var cachedKey = cache.Keys(l).Slice(position * kvDim, kvDim);
                var cachedValue = cache.Values(l).Slice(position * kvDim, kvDim);
                key.CopyTo(cachedKey);
                value.CopyTo(cachedValue);
                MatMul.RoundToHalf(cachedKey);
                MatMul.RoundToHalf(cachedValue);
            }
            Attend(cache, l, firstPosition, n);
            MatMul.Multiply(layer.AttentionOutput, s.AttentionOutput, s.Projected, n);
            TensorPrimitives.Add(s.Residual.AsSpan(0, n * dim), s.Projected.AsSpan(0, n * dim), s.Residual.AsSpan(0, n * dim));

            // Feed-forward: normalize, SwiGLU(gate, up), project down, add.
            for (var b = 0; b < n; b++)
                Ops.RmsNorm(s.Residual.AsSpan(b * dim, dim), layer.FeedForwardNorm, c.RmsNormEpsilon, s.Normed.AsSpan(b * dim, dim));
            MatMul.Multiply(layer.Gate, s.Normed, s.Gate, n);
            MatMul.Multiply(layer.Up, s.Normed, s.Up, n);
            Ops.SwiGlu(s.Gate.AsSpan(0, n * ffn), s.Up.AsSpan(0, n * ffn));
            MatMul.Multiply(layer.Down, s.Gate, s.Projected, n);
            TensorPrimitives.Add(s.Residual.AsSpan(0, n * dim), s.Projected.AsSpan(0, n * dim), s.Residual.AsSpan(0, n * dim));
        }
        cache.Length = firstPosition + n;
    }

    /// <summary>
    /// Causal multi-head attention with grouped K/V heads, for every (token, head) of the batch in parallel.
    /// Like llama.cpp's F16 cache path, the query and the attention weights are rounded to fp16 before they meet the cache.
    /// </summary>
    private void Attend(KvCache cache, int layer, int firstPosition, int n)
    {
        var c = Config;
        var s = _scratch;
        var scale = 1f / MathF.Sqrt(c.HeadDim);
        var multiplyAdds = (long)n * c.HeadCount * (firstPosition + n) * c.HeadDim;
        var threads = multiplyAdds < 1 << 16 ? 1 : MatMul.ThreadCount;
        Parallel.For(0, n * c.HeadCount, new ParallelOptions { MaxDegreeOfParallelism = threads }, work =>
        {
            var b = work / c.HeadCount;
            var head = work % c.HeadCount;
            var kvOffset = head / c.HeadsPerKvHead * c.HeadDim;
            var positions = firstPosition + b + 1;
            var query = s.Query.AsSpan(b * c.QueryDim + head * c.HeadDim, c.HeadDim);
            var output = s.AttentionOutput.AsSpan(b * c.QueryDim + head * c.HeadDim, c.HeadDim);
            var allKeys = cache.Keys(layer);
            var allValues = cache.Values(layer);
            var rented = ArrayPool<float>.Shared.Rent(positions + c.HeadDim);
            var scores = rented.AsSpan(0, positions);
            var roundedQuery = rented.AsSpan(positions, c.HeadDim);
            query.CopyTo(roundedQuery);
            MatMul.RoundToHalf(roundedQuery);
            for (var t = 0; t < positions; t++)
                scores[t] = TensorPrimitives.Dot(roundedQuery, allKeys.Slice(t * c.KvDim + kvOffset, c.HeadDim)) * scale;
            Ops.Softmax(scores);
            MatMul.RoundToHalf(scores);
            output.Clear();
            for (var t = 0; t < positions; t++)
                TensorPrimitives.MultiplyAdd(allValues.Slice(t * c.KvDim + kvOffset, c.HeadDim), scores[t], output, output);
            ArrayPool<float>.Shared.Return(rented);
        });
    }

    private void NormalizeHeads(Span<float> heads, ReadOnlySpan<float> weight)
    {
        var headDim = Config.HeadDim;
        for (var h = 0; h < heads.Length / headDim; h++)
        {
            var head = heads.Slice(h * headDim, headDim);
            Ops.RmsNorm(head, weight, Config.RmsNormEpsilon, head);
        }
    }

    private unsafe void Embed(int token, Span<float> destination) =>
        RowDot.Decode(Weights.TokenEmbedding.Type, Weights.TokenEmbedding.Row(token), destination);

    /// <summary>Final norm and output head for <paramref name="count"/> batch rows starting at <paramref name="first"/>.</summary>
    private void ComputeLogits(int first, int count, Span<float> logits)
    {
        var dim = Config.EmbeddingLength;
        var s = _scratch;
        for (var b = 0; b < count; b++)
            Ops.RmsNorm(s.Residual.AsSpan((first + b) * dim, dim), Weights.OutputNorm, Config.RmsNormEpsilon, s.Normed.AsSpan(b * dim, dim));
        MatMul.Multiply(Weights.Output, s.Normed.AsSpan(0, count * dim), logits, count);
    }

    public void Dispose() => _ownedFile?.Dispose();

    /// <summary>Activations of one batch, every buffer named for what it holds (batch-major rows).</summary>
    private sealed class Scratch(ModelConfig c)
    {
        /// <summary>The residual stream: each token's running hidden state.</summary>
        public readonly float[] Residual = new float[MaxBatch * c.EmbeddingLength];
        /// <summary>RMS-normalized residual, the input of each projection.</summary>
        public readonly float[] Normed = new float[MaxBatch * c.EmbeddingLength];
        public readonly float[] Query = new float[MaxBatch * c.QueryDim];
        public readonly float[] Key = new float[MaxBatch * c.KvDim];
        public readonly float[] Value = new float[MaxBatch * c.KvDim];
        /// <summary>Attention-weighted values, all heads concatenated, before the output projection.</summary>
        public readonly float[] AttentionOutput = new float[MaxBatch * c.QueryDim];
        /// <summary>Output of attn_output or ffn_down, added into the residual.</summary>
        public readonly float[] Projected = new float[MaxBatch * c.EmbeddingLength];
        /// <summary>ffn_gate output, then SwiGLU(gate, up) in place.</summary>
        public readonly float[] Gate = new float[MaxBatch * c.FeedForwardLength];
        public readonly float[] Up = new float[MaxBatch * c.FeedForwardLength];
    }
}
