using System.Numerics.Tensors;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Model;

/// <summary>
/// Causal multi-head attention with grouped K/V heads, one work chunk per (batch row, head). Each row attends to every
/// position of its own sequence up to its own. Like llama.cpp's F16 cache path, the query and the attention weights
/// are rounded to fp16 before they meet the cache.
/// </summary>
internal sealed class Attention(ModelConfig config, Transformer.Scratch scratch) : IChunkedWork
{
    /// <summary>Below this many multiply-adds the threads cost more than they save.</summary>
    private const long MinParallelWork = 1 << 16;

    [ThreadStatic] private static float[]? t_scores;

    private readonly float _scale = 1f / MathF.Sqrt(config.HeadDim);
    private int _layer;

    public void Run(ComputePool pool, int layer, int rows)
    {
        _layer = layer;
        long work = 0;
        for (var b = 0; b < rows; b++) work += (long)(scratch.RowPosition[b] + 1) * config.QueryDim;
        var chunks = rows * config.HeadCount;
        if (work < MinParallelWork)
            for (var chunk = 0; chunk < chunks; chunk++) Execute(chunk);
        else pool.Run(this, chunks);
    }

    public void Execute(int chunk)
    {
        var c = config;
        var b = chunk / c.HeadCount;
        var head = chunk % c.HeadCount;
        var cache = scratch.RowCache[b]!;
        var positions = scratch.RowPosition[b] + 1;
        var kvOffset = head / c.HeadsPerKvHead * c.HeadDim;
        var query = scratch.Query.AsSpan(b * c.QueryDim + head * c.HeadDim, c.HeadDim);
        var output = scratch.AttentionOutput.Row(b).Slice(head * c.HeadDim, c.HeadDim);
        var keys = cache.Keys(_layer);
        var values = cache.Values(_layer);
        var buffer = t_scores is { } existing && existing.Length >= positions + c.HeadDim
            ? existing
            : t_scores = new float[Math.Max(positions + c.HeadDim, 2 * (t_scores?.Length ?? 0))];
        var scores = buffer.AsSpan(0, positions);
        var roundedQuery = buffer.AsSpan(positions, c.HeadDim);
        query.CopyTo(roundedQuery);
        MatMul.RoundToHalf(roundedQuery);
        for (var t = 0; t < positions; t++)
            scores[t] = TensorPrimitives.Dot(roundedQuery, keys.Slice(t * c.KvDim + kvOffset, c.HeadDim)) * _scale;
        Ops.Softmax(scores);
        MatMul.RoundToHalf(scores);
        output.Clear();
        for (var t = 0; t < positions; t++)
            TensorPrimitives.MultiplyAdd(values.Slice(t * c.KvDim + kvOffset, c.HeadDim), scores[t], output, output);
    }
}
