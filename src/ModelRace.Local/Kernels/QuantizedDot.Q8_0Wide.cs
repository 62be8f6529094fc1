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
/// Blocks go in pairs: the widened weights of two blocks are recombined so that each vector holds eight weights of
/// each (vperm2i128, once per pair for all rows), matching the pair layout of
/// <see cref="QuantizedActivations.WideQuants"/>. A row's sums for both blocks then share one vector, one convert,
/// one scale product and one multiply-add, where each block took its own. Measured in cache on 2048-column rows (best
/// of five alternating runs), the four-row kernel went from 221 to 211 ns a row; the one-row kernel, which pays the
/// recombining alone, from 88 to 95 ns, hidden when one chat decodes, since a row then takes longer to arrive from
/// memory. The one-row and four-row kernels share this layout, so a row's result never depends on the batch it came in.
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
        var scalePairs = x.ScalePairsOf(activation);
        // Read before the loop: a call after it keeps the accumulator on the stack through every iteration.
        var lastScale = (blocks & 1) != 0 ? x.ScalesOf(activation)[blocks - 1] : 0f;
        var acc = Vector256<float>.Zero;
        for (var end = row + (long)(blocks & ~1) * Q8_0BlockBytes; row < end; row += 2 * Q8_0BlockBytes, quants += 64, scalePairs += 8)
        {
            PrefetchAhead(row, 2 * Q8_0BlockBytes);
            WidenPair(row, out var run0, out var run1, out var run2, out var run3);
            acc = WidePairStep(acc, run0, run1, run2, run3, WeightScalePair(row), quants, scalePairs);
        }
        if ((blocks & 1) != 0) acc = LoneWideStep(acc, row, quants, lastScale);
        return Vector256.Sum(acc);
    }

    /// <summary>One weight row against four activation rows, in the one-row kernel's order for each.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void VectorDotQ8_0Widex4(byte* row, QuantizedActivations x, int first, float* y, long yStride)
    {
        var blocks = x.Length / 32;
        short* q0 = x.WideQuantsOf(first), q1 = x.WideQuantsOf(first + 1), q2 = x.WideQuantsOf(first + 2), q3 = x.WideQuantsOf(first + 3);
        var s = x.ScalePairsOf(first);
        long sStride = x.ScalePairsOf(first + 1) - s;
        var lastScale = x.ScalesOf(first) + (blocks - 1);
        long scaleStride = x.ScalesOf(first + 1) - x.ScalesOf(first);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (var end = row + (long)(blocks & ~1) * Q8_0BlockBytes; row < end; row += 2 * Q8_0BlockBytes, q0 += 64, q1 += 64, q2 += 64, q3 += 64, s += 8)
        {
            PrefetchAhead(row, 2 * Q8_0BlockBytes);
            WidenPair(row, out var run0, out var run1, out var run2, out var run3);
            var weightScales = WeightScalePair(row);
            acc0 = WidePairStep(acc0, run0, run1, run2, run3, weightScales, q0, s);
            acc1 = WidePairStep(acc1, run0, run1, run2, run3, weightScales, q1, s + sStride);
            acc2 = WidePairStep(acc2, run0, run1, run2, run3, weightScales, q2, s + 2 * sStride);
            acc3 = WidePairStep(acc3, run0, run1, run2, run3, weightScales, q3, s + 3 * sStride);
        }
        if ((blocks & 1) != 0)
        {
            acc0 = LoneWideStep(acc0, row, q0, lastScale[0]);
            acc1 = LoneWideStep(acc1, row, q1, lastScale[scaleStride]);
            acc2 = LoneWideStep(acc2, row, q2, lastScale[2 * scaleStride]);
            acc3 = LoneWideStep(acc3, row, q3, lastScale[3 * scaleStride]);
        }
        y[0] = Vector256.Sum(acc0);
        y[yStride] = Vector256.Sum(acc1);
        y[2 * yStride] = Vector256.Sum(acc2);
        y[3 * yStride] = Vector256.Sum(acc3);
    }

    /// <summary>Two Q8_0 blocks' weights as int16s in the pair layout of <see cref="QuantizedActivations.WideQuants"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WidenPair(byte* block, out Vector256<short> run0, out Vector256<short> run1, out Vector256<short> run2, out Vector256<short> run3)
    {
        var next = block + Q8_0BlockBytes;
        InPairLayout(WidenLow(block), WidenHigh(block), WidenLow(next), WidenHigh(next), out run0, out run1, out run2, out run3);
    }

    /// <summary>
    /// The pair layout, the one definition weights and activations (<see cref="ActivationQuantizer.WidenPair"/>) both
    /// follow: two blocks' values 0–15 and 16–31 recombined so that each vector holds eight of the first block (low
    /// lane) and the same eight of the second (high lane).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void InPairLayout(Vector256<short> firstLow, Vector256<short> firstHigh, Vector256<short> secondLow, Vector256<short> secondHigh,
        out Vector256<short> run0, out Vector256<short> run1, out Vector256<short> run2, out Vector256<short> run3)
    {
        run0 = Avx2.Permute2x128(firstLow, secondLow, 0x20);
        run1 = Avx2.Permute2x128(firstLow, secondLow, 0x31);
        run2 = Avx2.Permute2x128(firstHigh, secondHigh, 0x20);
        run3 = Avx2.Permute2x128(firstHigh, secondHigh, 0x31);
    }

    /// <summary>Both blocks' weight scales: the first's in the low four lanes, the second's in the high four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WeightScalePair(byte* block) =>
        Vector256.Create(Vector128.Create(Simd.HalfToFloat[*(ushort*)block]), Vector128.Create(Simd.HalfToFloat[*(ushort*)(block + Q8_0BlockBytes)]));

    /// <summary>One activation row's 64 quants (pair layout) and its scale pair into <paramref name="acc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WidePairStep(Vector256<float> acc, Vector256<short> run0, Vector256<short> run1, Vector256<short> run2, Vector256<short> run3,
        Vector256<float> weightScales, short* quants, float* scalePair) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.Add(
            Avx2.Add(Avx2.MultiplyAddAdjacent(run0, Vector256.Load(quants)), Avx2.MultiplyAddAdjacent(run1, Vector256.Load(quants + 16))),
            Avx2.Add(Avx2.MultiplyAddAdjacent(run2, Vector256.Load(quants + 32)), Avx2.MultiplyAddAdjacent(run3, Vector256.Load(quants + 48))))),
            weightScales * Vector256.Load(scalePair), acc);

    /// <summary>A row's last block when it has an odd number: its 32 quants in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoneWideStep(Vector256<float> acc, byte* block, short* quants, float activationScale) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.Add(
            Avx2.MultiplyAddAdjacent(WidenLow(block), Vector256.Load(quants)),
            Avx2.MultiplyAddAdjacent(WidenHigh(block), Vector256.Load(quants + 16)))),
            Vector256.Create(Simd.HalfToFloat[*(ushort*)block] * activationScale), acc);

    /// <summary>Weights 0–15 of a Q8_0 block as int16s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> WidenLow(byte* block) => Avx2.ConvertToVector256Int16((sbyte*)block + 2);

    /// <summary>Weights 16–31 of a Q8_0 block as int16s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> WidenHigh(byte* block) => Avx2.ConvertToVector256Int16((sbyte*)block + 18);
}
