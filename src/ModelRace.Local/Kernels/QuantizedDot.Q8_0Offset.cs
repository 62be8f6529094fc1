using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Q8_0 weights against four activation rows on VNNI machines, the kernel that prompts and batched decoding run on.
/// The byte kernel spent five instructions per block and row on the two ports that do vector arithmetic (vpsignb,
/// vpdpbusd, the convert, the product of the two scales and the multiply-add), and prompts were bound by those ports.
/// </summary>
/// <remarks>
/// The vpsignb goes: the activations are kept offset by 128 as unsigned bytes
/// (<see cref="QuantizedActivations.OffsetQuantsOf"/>), so vpdpbusd takes the signed weights as they are, and the
/// 128·Σw the offset adds is taken off by starting each sum at −128·Σw, worked out once per weight block for all four
/// rows. The integer sums are exact both ways, so they are the same, and each row still sums its blocks in the
/// one-row kernel's order (even blocks in one accumulator, odd in another, the same float products): a row's result
/// does not depend on the batch it came in. Measured in cache on 2048-column rows in batches of 128 (best of five,
/// alternating with the byte kernel), 53–67 ns a row against 67–83. Working out the scale products eight blocks at a
/// time into a buffer, read back broadcast by the multiply-add, was slower (62–94 ns): the two gathers and the
/// store-to-load round trip cost more than the multiplies they spared. What did spare them: the four rows' scales of
/// a block side by side (<see cref="QuantizedActivations.ScalesByBlockOf"/>), one multiply for all four products and
/// a permute per row on the shuffle port, 48–53 ns a row against 53–58 (2048², batch 64, five alternating pairs).
/// </remarks>
public static unsafe partial class QuantizedDot
{
    /// <summary>Whether the four-row Q8_0 kernel reads activations offset to unsigned bytes on this machine.</summary>
    public static bool Q8_0TakesOffsetActivations { get; } = Simd.IsAccelerated && AvxVnni.IsSupported;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void VectorDotQ8_0x4(byte* row, QuantizedActivations x, int first, float* y, long yStride)
    {
        var blocks = x.Length / 32;
        var offsetQuants = x.OffsetQuantsOf(first);
        long quantStride = x.OffsetQuantsOf(first + 1) - offsetQuants;
        var scales = x.ScalesByBlockOf(first);
        long blockStride = x.Batch;
        Vector256<float> even0 = default, even1 = default, even2 = default, even3 = default;
        Vector256<float> odd0 = default, odd1 = default, odd2 = default, odd3 = default;
        var end = row + (long)(blocks & ~1) * Q8_0BlockBytes;
        for (; row < end; row += 2 * Q8_0BlockBytes, offsetQuants += 64, scales += 2 * blockStride)
        {
            PrefetchAhead(row, 2 * Q8_0BlockBytes);
            OffsetBlockX4(row, offsetQuants, quantStride, scales, ref even0, ref even1, ref even2, ref even3);
            OffsetBlockX4(row + Q8_0BlockBytes, offsetQuants + 32, quantStride, scales + blockStride, ref odd0, ref odd1, ref odd2, ref odd3);
        }
        if ((blocks & 1) != 0) OffsetBlockX4(row, offsetQuants, quantStride, scales, ref even0, ref even1, ref even2, ref even3);
        y[0] = Vector256.Sum(even0 + odd0);
        y[yStride] = Vector256.Sum(even1 + odd1);
        y[2 * yStride] = Vector256.Sum(even2 + odd2);
        y[3 * yStride] = Vector256.Sum(even3 + odd3);
    }

    /// <summary>
    /// One weight block met by four rows of offset activations, <paramref name="quantStride"/> bytes apart; their four
    /// scales of this block lie side by side at <paramref name="scales"/>, so one multiply gives the four products with the
    /// weight's scale (the same floats as one multiply per row), each spread to its row by a permute on the shuffle port.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OffsetBlockX4(byte* block, byte* offsetQuants, long quantStride, float* scales,
        ref Vector256<float> acc0, ref Vector256<float> acc1, ref Vector256<float> acc2, ref Vector256<float> acc3)
    {
        var weights = Vector256.Load((sbyte*)block + 2);
        var products = (Vector128.Create(Simd.HalfToFloat[*(ushort*)block]) * Vector128.Load(scales)).ToVector256Unsafe();
        var offsetRemoved = Vector256<int>.Zero - AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Vector256.Create((byte)128), weights);
        acc0 = OffsetStep(acc0, offsetRemoved, weights, offsetQuants, Avx2.PermuteVar8x32(products, Vector256.Create(0)));
        acc1 = OffsetStep(acc1, offsetRemoved, weights, offsetQuants + quantStride, Avx2.PermuteVar8x32(products, Vector256.Create(1)));
        acc2 = OffsetStep(acc2, offsetRemoved, weights, offsetQuants + 2 * quantStride, Avx2.PermuteVar8x32(products, Vector256.Create(2)));
        acc3 = OffsetStep(acc3, offsetRemoved, weights, offsetQuants + 3 * quantStride, Avx2.PermuteVar8x32(products, Vector256.Create(3)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> OffsetStep(Vector256<float> acc, Vector256<int> offsetRemoved, Vector256<sbyte> weights, byte* offsetQuants, Vector256<float> scale) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(AvxVnni.MultiplyWideningAndAdd(offsetRemoved, Vector256.Load(offsetQuants), weights)), scale, acc);
}
