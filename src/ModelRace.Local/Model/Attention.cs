using System.Runtime.Intrinsics;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Model;

/// <summary>
/// Causal multi-head attention with grouped K/V heads, one work chunk per (batch row, head). Each row attends to every
/// position of its own sequence up to its own. Like llama.cpp's F16 cache path, the query and the attention weights
/// are rounded to fp16 before they meet the cache.
/// </summary>
internal sealed unsafe class Attention(ModelConfig config, Transformer.Scratch scratch) : IChunkedWork
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
        fixed (float* q = roundedQuery)
        fixed (float* k = keys)
        fixed (float* v = values)
        fixed (float* o = output)
        fixed (float* p = scores)
        {
            var stride = c.KvDim;
            for (var t = 0; t < positions; t++) p[t] = HeadDot(q, k + (long)t * stride + kvOffset, c.HeadDim) * _scale;
            Ops.Softmax(scores);
            MatMul.RoundToHalf(scores);
            WeightedSum(p, v + kvOffset, stride, positions, o, c.HeadDim);
        }
    }

    /// <summary>One query head against one cached key (a head is 64 or 128 values in every supported model, so plain vectors beat a library call per position).</summary>
    private static float HeadDot(float* q, float* k, int headDim)
    {
        var i = 0;
        var sum = 0f;
        if (Vector256.IsHardwareAccelerated && headDim >= 16)
        {
            Vector256<float> even = Vector256<float>.Zero, odd = Vector256<float>.Zero;
            for (; i + 16 <= headDim; i += 16)
            {
                even = Vector256.FusedMultiplyAdd(Vector256.Load(q + i), Vector256.Load(k + i), even);
                odd = Vector256.FusedMultiplyAdd(Vector256.Load(q + i + 8), Vector256.Load(k + i + 8), odd);
            }
            sum = Vector256.Sum(even + odd);
        }
        for (; i < headDim; i++) sum = MathF.FusedMultiplyAdd(q[i], k[i], sum);
        return sum;
    }

    /// <summary>output = Σ_t weight[t] · value_t, eight head values at a time, each held in a register across all positions.</summary>
    private static void WeightedSum(float* weights, float* values, int stride, int positions, float* output, int headDim)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= headDim; i += 8)
            {
                var acc = Vector256<float>.Zero;
                for (var t = 0; t < positions; t++) acc = Vector256.FusedMultiplyAdd(Vector256.Create(weights[t]), Vector256.Load(values + (long)t * stride + i), acc);
                acc.Store(output + i);
            }
        for (; i < headDim; i++)
        {
            var sum = 0f;
            for (var t = 0; t < positions; t++) sum = MathF.FusedMultiplyAdd(weights[t], values[(long)t * stride + i], sum);
            output[i] = sum;
        }
    }
}
