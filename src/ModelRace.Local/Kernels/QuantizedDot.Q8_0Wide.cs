using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Q8_0 weights against Q8_0 activations widened to int16, on machines without VNNI. There, the byte kernel spends
/// four instructions per block and activation row (sign, vpmaddubsw, vpmaddwd against ones, and the load) before the
/// float work; with the weights widened once per block and shared by every row, each row needs only two vpmaddwd,
/// each with its load folded in, and an add. The four-row kernel, which batched decoding runs on, got 13% faster for
/// it (one process, side by side, both reading aligned buffers). With VNNI, one vpdpbusd per row does all of it, so
/// the byte kernels stay.
/// </summary>
/// <remarks>
/// A block's eight partial sums group its products differently from the byte kernel's (lane k holds products 2k,
/// 2k+1, 16+2k and 17+2k), so the one-row and four-row kernels here both use this layout, and a row's result still
/// never depends on the batch it came in.
/// </remarks>
public static unsafe partial class QuantizedDot
{
    /// <summary>Whether Q8_0 weights meet int16-widened activations (<see cref="QuantizedActivations.WideQuantsOf"/>) on this machine.</summary>
    public static bool Q8_0TakesWideActivations { get; } = Simd.IsAccelerated && !AvxVnni.IsSupported;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float VectorDotQ8_0Wide(byte* row, QuantizedActivations x, int activation)
    {
        var blocks = x.Length / 32;
        var quants = x.WideQuantsOf(activation);
        var scales = x.ScalesOf(activation);
        var table = Simd.HalfToFloat;
        // Two accumulators, so consecutive blocks do not wait on each other's multiply-add.
        Vector256<float> even = default, odd = default;
        for (var end = row + (long)(blocks & ~1) * Q8_0BlockBytes; row < end; row += 2 * Q8_0BlockBytes, quants += 64, scales += 2)
        {
            PrefetchAhead(row, 2 * Q8_0BlockBytes);
            even = WideStep(even, WidenLow(row), WidenHigh(row), quants, Vector256.Create(table[*(ushort*)row] * scales[0]));
            var next = row + Q8_0BlockBytes;
            odd = WideStep(odd, WidenLow(next), WidenHigh(next), quants + 32, Vector256.Create(table[*(ushort*)next] * scales[1]));
        }
        if ((blocks & 1) != 0) even = WideStep(even, WidenLow(row), WidenHigh(row), quants, Vector256.Create(table[*(ushort*)row] * scales[0]));
        return Vector256.Sum(even + odd);
    }

    /// <summary>One weight row against four activation rows, in the one-row kernel's order for each.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void VectorDotQ8_0Widex4(byte* row, QuantizedActivations x, int first, float* y, long yStride)
    {
        var blocks = x.Length / 32;
        short* q0 = x.WideQuantsOf(first), q1 = x.WideQuantsOf(first + 1), q2 = x.WideQuantsOf(first + 2), q3 = x.WideQuantsOf(first + 3);
        var d = x.ScalesOf(first);
        long dStride = x.ScalesOf(first + 1) - d;
        Vector256<float> even0 = default, even1 = default, even2 = default, even3 = default;
        Vector256<float> odd0 = default, odd1 = default, odd2 = default, odd3 = default;
        for (var end = row + (long)(blocks & ~1) * Q8_0BlockBytes; row < end; row += 2 * Q8_0BlockBytes, q0 += 64, q1 += 64, q2 += 64, q3 += 64, d += 2)
        {
            PrefetchAhead(row, 2 * Q8_0BlockBytes);
            WideBlockX4(row, q0, q1, q2, q3, d, dStride, ref even0, ref even1, ref even2, ref even3);
            WideBlockX4(row + Q8_0BlockBytes, q0 + 32, q1 + 32, q2 + 32, q3 + 32, d + 1, dStride, ref odd0, ref odd1, ref odd2, ref odd3);
        }
        if ((blocks & 1) != 0) WideBlockX4(row, q0, q1, q2, q3, d, dStride, ref even0, ref even1, ref even2, ref even3);
        y[0] = Vector256.Sum(even0 + odd0);
        y[yStride] = Vector256.Sum(even1 + odd1);
        y[2 * yStride] = Vector256.Sum(even2 + odd2);
        y[3 * yStride] = Vector256.Sum(even3 + odd3);
    }

    /// <summary>
    /// One block met by four activation rows. The block scale is multiplied as vectors (the activation's broadcast
    /// from memory), the same float as the one-row kernel's scalar product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WideBlockX4(byte* block, short* q0, short* q1, short* q2, short* q3, float* scales, long scaleStride,
        ref Vector256<float> acc0, ref Vector256<float> acc1, ref Vector256<float> acc2, ref Vector256<float> acc3)
    {
        var low = WidenLow(block);
        var high = WidenHigh(block);
        var weightScale = Vector256.Create(Simd.HalfToFloat[*(ushort*)block]);
        acc0 = WideStep(acc0, low, high, q0, weightScale * Vector256.Create(scales[0]));
        acc1 = WideStep(acc1, low, high, q1, weightScale * Vector256.Create(scales[scaleStride]));
        acc2 = WideStep(acc2, low, high, q2, weightScale * Vector256.Create(scales[2 * scaleStride]));
        acc3 = WideStep(acc3, low, high, q3, weightScale * Vector256.Create(scales[3 * scaleStride]));
    }

    /// <summary>Weights 0–15 of a Q8_0 block as int16s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> WidenLow(byte* block) => Avx2.ConvertToVector256Int16((sbyte*)block + 2);

    /// <summary>Weights 16–31 of a Q8_0 block as int16s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> WidenHigh(byte* block) => Avx2.ConvertToVector256Int16((sbyte*)block + 18);

    /// <summary>One block of one activation row (32 int16 quants) into its accumulator.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WideStep(Vector256<float> acc, Vector256<short> low, Vector256<short> high, short* quants, Vector256<float> scale) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.Add(
            Avx2.MultiplyAddAdjacent(low, Vector256.Load(quants)),
            Avx2.MultiplyAddAdjacent(high, Vector256.Load(quants + 16)))), scale, acc);
}
