using System.Collections.Concurrent;
using System.Numerics.Tensors;
using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Model;

/// <summary>
/// A llama-family decoder (llama, qwen2, qwen3) running on weights memory-mapped from a GGUF file.
/// <see cref="ForwardRows"/> is the whole model: embeddings → N × (attention + SwiGLU feed-forward) → norm → logits.
/// A batch row is one token of one sequence at one position, so the same pass serves a prompt (many positions of one
/// sequence) and a decoding step of many sequences at once (continuous batching). One pass runs at a time per model
/// (the scratch buffers and compute threads are shared); callers are serialized by a lock.
/// </summary>
public sealed class Transformer : IDisposable
{
    /// <summary>Batch rows processed together in one matrix-matrix pass.</summary>
    public const int MaxBatch = 64;

    private readonly GgufFile? _ownedFile;
    private readonly Scratch _scratch;
    private readonly Lock _forwardLock = new();
    private readonly MatMul _matMul;
    private readonly Attention _attention;
    private readonly ConcurrentDictionary<int, RopeTable> _ropeTables = new();
    /// <summary>One token embedding row as stored, read from the file (see <see cref="Embed"/>).</summary>
    private readonly byte[] _embeddingRow;
    private bool _disposed;

    public ModelConfig Config { get; }
    public ModelWeights Weights { get; }
    public GgufFile File { get; }
    /// <summary>Compute threads, the calling thread included.</summary>
    public int ThreadCount => _matMul.Pool.ThreadCount;

    /// <param name="threads">Compute threads; default one per logical processor.</param>
    public Transformer(GgufFile file, bool ownsFile = false, int? threads = null)
    {
        File = file;
        _ownedFile = ownsFile ? file : null;
        Config = ModelConfig.FromGguf(file);
        Weights = ModelWeights.Load(file, Config);
        _scratch = new Scratch(Config);
        _embeddingRow = new byte[Weights.TokenEmbedding.RowBytes];
        _matMul = new MatMul(new ComputePool(threads ?? ComputePool.DefaultThreadCount));
        _attention = new Attention(Config, _scratch);
    }

    public static Transformer Load(string path, int? threads = null)
    {
        var file = GgufFile.Open(path);
        try
        {
            return new Transformer(file, ownsFile: true, threads);
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
        // Every cache of one length shares its position table (a megabyte at 4096 positions).
        var rope = _ropeTables.GetOrAdd(length, n => new RopeTable(n, Config.RopeDimensions, Config.RopeFreqBase, Config.RopeFreqScale, Weights.RopeFrequencyFactors));
        return new KvCache(Config, length, rope);
    }

    /// <summary>
    /// Runs <paramref name="tokens"/> at the next positions of <paramref name="cache"/> and appends their keys and values.
    /// Returns the logits after the last token (VocabSize values), or after every token (tokens × VocabSize) when
    /// <paramref name="allLogits"/> is set.
    /// </summary>
    public float[] Forward(ReadOnlySpan<int> tokens, KvCache cache, bool allLogits = false)
    {
        var logits = new float[(allLogits ? tokens.Length : 1) * Config.VocabSize];
        Forward(tokens, cache, logits, allLogits);
        return logits;
    }

    /// <summary>As <see cref="Forward(ReadOnlySpan{int}, KvCache, bool)"/>, writing into <paramref name="logits"/> (no allocation).</summary>
    public void Forward(ReadOnlySpan<int> tokens, KvCache cache, Span<float> logits, bool allLogits = false)
    {
        if (tokens.IsEmpty) throw new ArgumentException("at least one token is needed", nameof(tokens));
        CheckCache(cache, tokens.Length);
        CheckTokens(tokens);
        var vocab = Config.VocabSize;
        if (logits.Length < (allLogits ? tokens.Length : 1) * vocab) throw new ArgumentException($"the logits buffer holds {logits.Length} values, too few", nameof(logits));
        lock (_forwardLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (var start = 0; start < tokens.Length; start += MaxBatch)
            {
                var batch = tokens.Slice(start, Math.Min(MaxBatch, tokens.Length - start));
                for (var b = 0; b < batch.Length; b++)
                {
                    _scratch.RowCache[b] = cache;
                    _scratch.RowPosition[b] = cache.Length + b;
                }
                ForwardRows(batch);
                if (allLogits) ComputeLogits(0, batch.Length, logits.Slice(start * vocab, batch.Length * vocab));
                else if (start + batch.Length == tokens.Length) ComputeLogits(batch.Length - 1, 1, logits);
            }
            Array.Clear(_scratch.RowCache);
        }
    }

    /// <summary>
    /// One decoding step of several sequences at once: <paramref name="tokens"/>[i] goes at the next position of
    /// <paramref name="caches"/>[i]. Returns tokens × VocabSize logits, row i for sequence i.
    /// </summary>
    public float[] ForwardStep(ReadOnlySpan<int> tokens, IReadOnlyList<KvCache> caches)
    {
        var logits = new float[tokens.Length * Config.VocabSize];
        ForwardStep(tokens, caches, logits);
        return logits;
    }

    /// <summary>As <see cref="ForwardStep(ReadOnlySpan{int}, IReadOnlyList{KvCache})"/>, writing into <paramref name="logits"/>.</summary>
    public void ForwardStep(ReadOnlySpan<int> tokens, IReadOnlyList<KvCache> caches, Span<float> logits)
    {
        if (tokens.IsEmpty) throw new ArgumentException("at least one token is needed", nameof(tokens));
        if (tokens.Length > MaxBatch) throw new ArgumentException($"at most {MaxBatch} sequences step together, not {tokens.Length}", nameof(tokens));
        if (caches.Count != tokens.Length) throw new ArgumentException($"{tokens.Length} tokens need {tokens.Length} caches, not {caches.Count}", nameof(caches));
        if (logits.Length < tokens.Length * Config.VocabSize) throw new ArgumentException($"the logits buffer holds {logits.Length} values, too few", nameof(logits));
        for (var i = 0; i < caches.Count; i++)
        {
            CheckCache(caches[i], 1);
            for (var j = 0; j < i; j++)
                if (ReferenceEquals(caches[i], caches[j])) throw new ArgumentException($"sequences {j} and {i} share one cache; each needs its own", nameof(caches));
        }
        CheckTokens(tokens);
        lock (_forwardLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (var b = 0; b < tokens.Length; b++)
            {
                _scratch.RowCache[b] = caches[b];
                _scratch.RowPosition[b] = caches[b].Length;
            }
            ForwardRows(tokens);
            ComputeLogits(0, tokens.Length, logits);
            Array.Clear(_scratch.RowCache);
        }
    }

    private void CheckCache(KvCache cache, int newTokens)
    {
        if (cache.Config != Config) throw new ArgumentException("the cache was made for another model", nameof(cache));
        if (cache.Length + newTokens > cache.ContextLength) throw new ContextLengthExceededException(cache.Length + newTokens, cache.ContextLength);
    }

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        foreach (var token in tokens)
            if ((uint)token >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), token, $"token id outside the vocabulary of {Config.VocabSize}");
    }

    /// <summary>Runs batch row b = token <paramref name="tokens"/>[b] of sequence RowCache[b] at position RowPosition[b].</summary>
    private void ForwardRows(ReadOnlySpan<int> tokens)
    {
        var c = Config;
        var s = _scratch;
        var n = tokens.Length;
        int dim = c.EmbeddingLength, qDim = c.QueryDim, kvDim = c.KvDim, ffn = c.FeedForwardLength;
        var residual = s.Residual.AsSpan(0, n * dim);

        for (var b = 0; b < n; b++)
        {
            Embed(tokens[b], residual.Slice(b * dim, dim));
            s.RowCache[b]!.EnsureCapacity(s.RowPosition[b] + 1);
        }

        for (var l = 0; l < c.LayerCount; l++)
        {
            var layer = Weights.Layers[l];

            // Attention: normalize, project to Q/K/V, position-encode, store K/V, attend, project back, add.
            for (var b = 0; b < n; b++) Ops.RmsNorm(residual.Slice(b * dim, dim), layer.AttentionNorm, c.RmsNormEpsilon, s.Normed.Row(b));
            s.Normed.SetRows(n);
            _matMul.Multiply(layer.Query, s.Normed, s.Query);
            _matMul.Multiply(layer.Key, s.Normed, s.Key);
            _matMul.Multiply(layer.Value, s.Normed, s.Value);
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
                var cache = s.RowCache[b]!;
                var position = s.RowPosition[b];
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
            _attention.Run(_matMul.Pool, l, n);
            s.AttentionOutput.SetRows(n);
            _matMul.Multiply(layer.AttentionOutput, s.AttentionOutput, s.Projected);
            TensorPrimitives.Add(residual, s.Projected.AsSpan(0, n * dim), residual);

            // Feed-forward: normalize, SwiGLU(gate, up), project down, add.
            for (var b = 0; b < n; b++) Ops.RmsNorm(residual.Slice(b * dim, dim), layer.FeedForwardNorm, c.RmsNormEpsilon, s.Normed.Row(b));
            s.Normed.SetRows(n);
            _matMul.Multiply(layer.Gate, s.Normed, s.Gate.Values);
            _matMul.Multiply(layer.Up, s.Normed, s.Up);
            Ops.SwiGlu(s.Gate.Values.AsSpan(0, n * ffn), s.Up.AsSpan(0, n * ffn));
            s.Gate.SetRows(n);
            _matMul.Multiply(layer.Down, s.Gate, s.Projected);
            TensorPrimitives.Add(residual, s.Projected.AsSpan(0, n * dim), residual);
        }
        for (var b = 0; b < n; b++)
        {
            var cache = s.RowCache[b]!;
            cache.Length = Math.Max(cache.Length, s.RowPosition[b] + 1);
        }
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

    /// <summary>
    /// A token's embedding row. Unless the output head shares the table (and reads all of it every step anyway), the
    /// row is read from the file rather than the mapping, so the few rows a chat uses do not map the rest of the table
    /// into this process (see <see cref="GgufFile.ReadBypassingMapping"/>).
    /// </summary>
    private unsafe void Embed(int token, Span<float> destination)
    {
        var table = Weights.TokenEmbedding;
        if (table.Data == Weights.Output.Data)
        {
            RowDot.Decode(table.Type, table.Row(token), destination);
            return;
        }
        var row = _embeddingRow.AsSpan();
        File.ReadBypassingMapping(table.Row(token), row);
        fixed (byte* bytes = row) RowDot.Decode(table.Type, bytes, destination);
    }

    /// <summary>Final norm and output head for <paramref name="count"/> batch rows starting at <paramref name="first"/>.</summary>
    private void ComputeLogits(int first, int count, Span<float> logits)
    {
        var dim = Config.EmbeddingLength;
        var s = _scratch;
        for (var b = 0; b < count; b++)
            Ops.RmsNorm(s.Residual.AsSpan((first + b) * dim, dim), Weights.OutputNorm, Config.RmsNormEpsilon, s.Normed.Row(b));
        s.Normed.SetRows(count);
        _matMul.Multiply(Weights.Output, s.Normed, logits);
    }

    /// <summary>Waits for a forward pass in progress (its weights are about to be unmapped), then releases the threads and the file.</summary>
    public void Dispose()
    {
        lock (_forwardLock)
        {
            if (_disposed) return;
            _disposed = true;
            _matMul.Pool.Dispose();
            _ownedFile?.Dispose();
        }
    }

    /// <summary>Activations of one batch, every buffer named for what it holds (batch-major rows).</summary>
    internal sealed class Scratch(ModelConfig c)
    {
        /// <summary>Batch row b belongs to this sequence…</summary>
        public readonly KvCache?[] RowCache = new KvCache?[MaxBatch];
        /// <summary>…at this position.</summary>
        public readonly int[] RowPosition = new int[MaxBatch];
        /// <summary>The residual stream: each token's running hidden state.</summary>
        public readonly float[] Residual = new float[MaxBatch * c.EmbeddingLength];
        /// <summary>RMS-normalized residual, the input of each projection.</summary>
        public readonly ActivationBatch Normed = new(c.EmbeddingLength, MaxBatch);
        public readonly float[] Query = new float[MaxBatch * c.QueryDim];
        public readonly float[] Key = new float[MaxBatch * c.KvDim];
        public readonly float[] Value = new float[MaxBatch * c.KvDim];
        /// <summary>Attention-weighted values, all heads concatenated, before the output projection.</summary>
        public readonly ActivationBatch AttentionOutput = new(c.QueryDim, MaxBatch);
        /// <summary>Output of attn_output or ffn_down, added into the residual.</summary>
        public readonly float[] Projected = new float[MaxBatch * c.EmbeddingLength];
        /// <summary>ffn_gate output, then SwiGLU(gate, up) in place: the input of ffn_down.</summary>
        public readonly ActivationBatch Gate = new(c.FeedForwardLength, MaxBatch);
        public readonly float[] Up = new float[MaxBatch * c.FeedForwardLength];
    }
}
