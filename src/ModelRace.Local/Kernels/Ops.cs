using System.Numerics.Tensors;

namespace ModelRace.Local.Kernels;

/// <summary>The element-wise and per-vector operations of a llama-style transformer.</summary>
public static class Ops
{
    /// <summary>out = x / sqrt(mean(x²) + eps) · weight. The sum of squares is accumulated in double, as ggml does.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> output)
    {
        double sumSquares = 0;
        for (var i = 0; i < x.Length; i++) sumSquares += (double)x[i] * x[i];
        var scale = 1f / MathF.Sqrt((float)(sumSquares / x.Length) + epsilon);
        TensorPrimitives.Multiply(x, scale, output);
        TensorPrimitives.Multiply(output, weight, output);
    }

    /// <summary>In-place softmax; the normalizer is accumulated in double.</summary>
    public static void Softmax(Span<float> x)
    {
        var max = TensorPrimitives.Max(x);
        double sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        TensorPrimitives.Multiply(x, (float)(1.0 / sum), x);
    }

    /// <summary>SwiGLU: gate = silu(gate) · up, in place.</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        Span<float> sigmoid = stackalloc float[256];
        for (var start = 0; start < gate.Length; start += sigmoid.Length)
        {
            var g = gate.Slice(start, Math.Min(sigmoid.Length, gate.Length - start));
            var s = sigmoid[..g.Length];
            TensorPrimitives.Sigmoid(g, s);
            TensorPrimitives.Multiply(g, s, g);
            TensorPrimitives.Multiply(g, up.Slice(start, g.Length), g);
        }
    }

    /// <summary>
    /// Rotates the first rotated-dimension count of each head of <paramref name="heads"/> (headCount × headDim) for one position,
    /// using a precomputed (cos, sin) table of that position (see <see cref="RopeTable"/>).
    /// </summary>
    public static void Rope(Span<float> heads, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool adjacentPairs)
    {
        var pairs = cos.Length;
        for (var h = 0; h < heads.Length / headDim; h++)
        {
            var head = heads.Slice(h * headDim, headDim);
            for (var i = 0; i < pairs; i++)
            {
                int a, b;
                if (adjacentPairs) { a = 2 * i; b = 2 * i + 1; }
                else { a = i; b = i + pairs; }
                float x0 = head[a], x1 = head[b];
                head[a] = MathF.FusedMultiplyAdd(x0, cos[i], -(x1 * sin[i]));
                head[b] = MathF.FusedMultiplyAdd(x0, sin[i], x1 * cos[i]);
            }
        }
    }
}
