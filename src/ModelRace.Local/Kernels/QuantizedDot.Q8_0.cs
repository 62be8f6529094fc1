using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Q8_0 weights (fp16 scale + 32 signed bytes) and Q4_0 weights (fp16 scale + 16 bytes of nibbles, offset 8) against
/// Q8_0 activations. The two differ only in how a block's 32 weights are loaded; the one-row loop is shared, each entry
/// point naming the type as a struct type argument, for which the JIT compiles the loop apart with the flag folded
/// away. The four-row loop here is Q4_0's alone: Q8_0's reads offset activations on VNNI machines
/// (QuantizedDot.Q8_0Offset.cs) and int16-widened ones on AVX2 machines (QuantizedDot.Q8_0Wide.cs).
/// </summary>
public static unsafe partial class QuantizedDot
{
    private const int Q8_0BlockBytes = 34;
    private const int Q4_0BlockBytes = 18;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float VectorDotQ8_0(byte* row, QuantizedActivations x, int activation) => Q8_0Family<No>(row, x, activation);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float VectorDotQ4_0(byte* row, QuantizedActivations x, int activation) => Q8_0Family<Yes>(row, x, activation);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void VectorDotQ4_0x4(byte* row, QuantizedActivations x, int first, float* y, long yStride)
    {
        var blocks = x.Length / 32;
        sbyte* q0 = x.QuantsOf(first), q1 = x.QuantsOf(first + 1), q2 = x.QuantsOf(first + 2), q3 = x.QuantsOf(first + 3);
        float* d0 = x.ScalesOf(first), d1 = x.ScalesOf(first + 1), d2 = x.ScalesOf(first + 2), d3 = x.ScalesOf(first + 3);
        Vector256<float> even0 = default, even1 = default, even2 = default, even3 = default;
        Vector256<float> odd0 = default, odd1 = default, odd2 = default, odd3 = default;
        var end = row + (long)(blocks & ~1) * Q4_0BlockBytes;
        // One offset walks all four activation rows (quants 32 per block, scales one per block).
        long o = 0, b = 0;
        for (; row < end; row += 2 * Q4_0BlockBytes, o += 64, b += 2)
        {
            PrefetchAhead(row, 2 * Q4_0BlockBytes);
            Q4_0BlockX4(row, q0 + o, q1 + o, q2 + o, q3 + o, d0 + b, d1 + b, d2 + b, d3 + b, ref even0, ref even1, ref even2, ref even3);
            Q4_0BlockX4(row + Q4_0BlockBytes, q0 + o + 32, q1 + o + 32, q2 + o + 32, q3 + o + 32, d0 + b + 1, d1 + b + 1, d2 + b + 1, d3 + b + 1,
                ref odd0, ref odd1, ref odd2, ref odd3);
        }
        if ((blocks & 1) != 0)
            Q4_0BlockX4(row, q0 + o, q1 + o, q2 + o, q3 + o, d0 + b, d1 + b, d2 + b, d3 + b, ref even0, ref even1, ref even2, ref even3);
        y[0] = Vector256.Sum(even0 + odd0);
        y[yStride] = Vector256.Sum(even1 + odd1);
        y[2 * yStride] = Vector256.Sum(even2 + odd2);
        y[3 * yStride] = Vector256.Sum(even3 + odd3);
    }

    /// <summary>The 32 weights of a block as signed bytes (Q4_0: low nibbles are weights 0–15, high nibbles 16–31, less 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> LoadBlock(byte* block, bool isQ4_0)
    {
        if (!isQ4_0) return Vector256.Load((sbyte*)block + 2);
        var packed = Vector128.Load(block + 2);
        var nibbles = Vector256.Create(packed, Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte());
        return Avx2.Subtract(Avx2.And(nibbles, Vector256.Create((byte)0x0F)), Vector256.Create((byte)8)).AsSByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Q8_0Family<TQ4_0>(byte* row, QuantizedActivations x, int activation) where TQ4_0 : struct, IFlag
    {
        var isQ4_0 = TQ4_0.Value;
        var blockBytes = isQ4_0 ? Q4_0BlockBytes : Q8_0BlockBytes;
        var blocks = x.Length / 32;
        var xq = x.QuantsOf(activation);
        var xd = x.ScalesOf(activation);
        var table = Simd.HalfToFloat;
        // Two accumulators, so consecutive blocks do not wait on each other's multiply-add.
        Vector256<float> even = default, odd = default;
        var end = row + (long)(blocks & ~1) * blockBytes;
        for (; row < end; row += 2 * blockBytes, xq += 64, xd += 2)
        {
            PrefetchAhead(row, 2 * blockBytes);
            var p0 = Simd.DotSignedBytes(LoadBlock(row, isQ4_0), Vector256.Load(xq));
            var p1 = Simd.DotSignedBytes(LoadBlock(row + blockBytes, isQ4_0), Vector256.Load(xq + 32));
            even = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(table[*(ushort*)row] * xd[0]), even);
            odd = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(table[*(ushort*)(row + blockBytes)] * xd[1]), odd);
        }
        if ((blocks & 1) != 0)
        {
            var p = Simd.DotSignedBytes(LoadBlock(row, isQ4_0), Vector256.Load(xq));
            even = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(table[*(ushort*)row] * xd[0]), even);
        }
        return Vector256.Sum(even + odd);
    }

    /// <summary>
    /// One Q4_0 weight block, loaded and made unsigned once, met by four activation rows. Each row sums in the same
    /// order as <see cref="Q8_0Family"/>, so a result never depends on the batch it came in.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q4_0BlockX4(byte* block, sbyte* q0, sbyte* q1, sbyte* q2, sbyte* q3, float* d0, float* d1, float* d2, float* d3,
        ref Vector256<float> acc0, ref Vector256<float> acc1, ref Vector256<float> acc2, ref Vector256<float> acc3)
    {
        var w = LoadBlock(block, isQ4_0: true);
        var magnitude = Avx2.Abs(w);
        var weightScale = Vector256.Create(Simd.HalfToFloat[*(ushort*)block]);
        acc0 = Q8_0Step(acc0, magnitude, w, q0, weightScale, d0);
        acc1 = Q8_0Step(acc1, magnitude, w, q1, weightScale, d1);
        acc2 = Q8_0Step(acc2, magnitude, w, q2, weightScale, d2);
        acc3 = Q8_0Step(acc3, magnitude, w, q3, weightScale, d3);
    }

    /// <summary>
    /// One block of one activation row into its accumulator. The block's scale is multiplied as vectors (the activation
    /// scale broadcast straight from memory), which spares each row a scalar multiply and a broadcast; the product is
    /// the same float either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8_0Step(Vector256<float> acc, Vector256<byte> weightMagnitude, Vector256<sbyte> weights, sbyte* activations, Vector256<float> weightScale, float* activationScale) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(Simd.DotBytes(weightMagnitude, Avx2.Sign(Vector256.Load(activations), weights))), weightScale * Vector256.Create(*activationScale), acc);
}
