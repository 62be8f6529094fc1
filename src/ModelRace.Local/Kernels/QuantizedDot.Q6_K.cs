using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Q6_K weights against Q8_K activations. A 210-byte super-block holds 256 weights in two halves of 128: 64 bytes of
/// low nibbles, 32 bytes of 2-bit high parts, then sixteen signed 8-bit scales (one per 16 weights) and fp16 d.
/// weight = d·scale·(q − 32); the −32 is applied once per super-block through Q8_K's group sums.
/// </summary>
public static unsafe partial class QuantizedDot
{
    private const int Q6_KBlockBytes = 210;

    /// <summary>The four 32-weight runs of one half, as unsigned 6-bit values (0–63), in order.</summary>
    private readonly struct Q6_KHalf
    {
        public readonly Vector256<byte> Run0, Run1, Run2, Run3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Q6_KHalf(byte* lowNibbles, byte* highBits)
        {
            var mask4 = Vector256.Create((byte)0x0F);
            var mask2 = Vector256.Create((byte)0x03);
            var high = Vector256.Load(highBits);
            var lowA = Vector256.Load(lowNibbles);
            var lowB = Vector256.Load(lowNibbles + 32);
            // 16-bit shifts move whole lanes; each byte is masked before or after, so no bits cross between bytes.
            Run0 = Avx2.Or(Avx2.And(lowA, mask4), Avx2.ShiftLeftLogical(Avx2.And(high, mask2).AsUInt16(), 4).AsByte());
            Run1 = Avx2.Or(Avx2.And(lowB, mask4), Avx2.ShiftLeftLogical(Avx2.And(high, Vector256.Create((byte)0x0C)).AsUInt16(), 2).AsByte());
            Run2 = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(lowA.AsUInt16(), 4).AsByte(), mask4), Avx2.And(high, Vector256.Create((byte)0x30)));
            Run3 = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(lowB.AsUInt16(), 4).AsByte(), mask4), Avx2.ShiftRightLogical(Avx2.And(high, Vector256.Create((byte)0xC0)).AsUInt16(), 2).AsByte());
        }
    }

    /// <summary>Scale pairs of one half: run k covers sub-blocks 2k and 2k+1 (16 weights each).</summary>
    private readonly struct Q6_KScales
    {
        public readonly Vector256<short> Run0, Run1, Run2, Run3;

        /// <param name="allScales">The super-block's sixteen scales as int16s.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Q6_KScales(Vector256<short> allScales, int half)
        {
            // Both 128-bit lanes get this half's eight scales; in-lane shuffles then spread scale 2k over the low lane
            // and scale 2k+1 over the high lane.
            var halfScales = (half == 0 ? Avx2.Permute4x64(allScales.AsInt64(), 0b01_00_01_00) : Avx2.Permute4x64(allScales.AsInt64(), 0b11_10_11_10)).AsByte();
            Run0 = Avx2.Shuffle(halfScales, Q6_KScaleSelectors[0]).AsInt16();
            Run1 = Avx2.Shuffle(halfScales, Q6_KScaleSelectors[1]).AsInt16();
            Run2 = Avx2.Shuffle(halfScales, Q6_KScaleSelectors[2]).AsInt16();
            Run3 = Avx2.Shuffle(halfScales, Q6_KScaleSelectors[3]).AsInt16();
        }
    }

    /// <summary>Selector k: int16 2k of the lane repeated in the low lane, int16 2k+1 in the high lane.</summary>
    private static readonly Vector256<byte>* Q6_KScaleSelectors = Simd.Constants(4, k => Vector256.Create(
        Vector128.Create((ushort)((4 * k + 1) << 8 | 4 * k)).AsByte(),
        Vector128.Create((ushort)((4 * k + 3) << 8 | (4 * k + 2))).AsByte()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6_KHalfDot(Vector256<int> sum, in Q6_KHalf w, in Q6_KScales s, sbyte* x)
    {
        sum = Simd.MultiplyAddPairs(sum, s.Run0, Avx2.MultiplyAddAdjacent(w.Run0, Vector256.Load(x)));
        sum = Simd.MultiplyAddPairs(sum, s.Run1, Avx2.MultiplyAddAdjacent(w.Run1, Vector256.Load(x + 32)));
        sum = Simd.MultiplyAddPairs(sum, s.Run2, Avx2.MultiplyAddAdjacent(w.Run2, Vector256.Load(x + 64)));
        return Simd.MultiplyAddPairs(sum, s.Run3, Avx2.MultiplyAddAdjacent(w.Run3, Vector256.Load(x + 96)));
    }

    /// <summary>Σ scale·groupSum over the 16 groups, times 32: what the −32 offset subtracts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6_KOffset(Vector256<short> scales, short* groupSums) =>
        Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(scales, Vector256.Load(groupSums)), 5);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float VectorDotQ6_K(byte* row, QuantizedActivations x, int activation)
    {
        var superBlocks = x.Length / 256;
        var xq = x.QuantsOf(activation);
        var xd = x.ScalesOf(activation);
        var groupSums = x.GroupSumsOf(activation);
        var table = Simd.HalfToFloat;
        var acc = Vector256<float>.Zero;
        for (var i = 0; i < superBlocks; i++, row += Q6_KBlockBytes, xq += 256)
        {
            PrefetchAhead(row, Q6_KBlockBytes);
            var allScales = Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)row + 192));
            // The two halves in separate integer chains, so their multiply-adds overlap; integer sums are exact.
            var firstHalf = Q6_KHalfDot(Avx2.Subtract(Vector256<int>.Zero, Q6_KOffset(allScales, groupSums + i * 16)), new Q6_KHalf(row, row + 128), new Q6_KScales(allScales, 0), xq);
            var secondHalf = Q6_KHalfDot(Vector256<int>.Zero, new Q6_KHalf(row + 64, row + 160), new Q6_KScales(allScales, 1), xq + 128);
            var sum = Avx2.Add(firstHalf, secondHalf);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum), Vector256.Create(table[*(ushort*)(row + 208)] * xd[i]), acc);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>One weight row against four activation rows; each half super-block is unpacked once.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void VectorDotQ6_Kx4(byte* row, QuantizedActivations x, int first, float* y, long yStride)
    {
        var superBlocks = x.Length / 256;
        sbyte* q0 = x.QuantsOf(first), q1 = x.QuantsOf(first + 1), q2 = x.QuantsOf(first + 2), q3 = x.QuantsOf(first + 3);
        float* d0 = x.ScalesOf(first), d1 = x.ScalesOf(first + 1), d2 = x.ScalesOf(first + 2), d3 = x.ScalesOf(first + 3);
        short* g0 = x.GroupSumsOf(first), g1 = x.GroupSumsOf(first + 1), g2 = x.GroupSumsOf(first + 2), g3 = x.GroupSumsOf(first + 3);
        var table = Simd.HalfToFloat;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (var i = 0; i < superBlocks; i++, row += Q6_KBlockBytes)
        {
            PrefetchAhead(row, Q6_KBlockBytes);
            var allScales = Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)row + 192));
            var g = i * 16;
            Vector256<int> sum0 = Avx2.Subtract(default, Q6_KOffset(allScales, g0 + g)), sum1 = Avx2.Subtract(default, Q6_KOffset(allScales, g1 + g));
            Vector256<int> sum2 = Avx2.Subtract(default, Q6_KOffset(allScales, g2 + g)), sum3 = Avx2.Subtract(default, Q6_KOffset(allScales, g3 + g));
            for (var half = 0; half < 2; half++)
            {
                var w = new Q6_KHalf(row + 64 * half, row + 128 + 32 * half);
                var s = new Q6_KScales(allScales, half);
                var o = i * 256 + 128 * half;
                sum0 = Q6_KHalfDot(sum0, w, s, q0 + o);
                sum1 = Q6_KHalfDot(sum1, w, s, q1 + o);
                sum2 = Q6_KHalfDot(sum2, w, s, q2 + o);
                sum3 = Q6_KHalfDot(sum3, w, s, q3 + o);
            }
            // The scale multiplied as vectors: the same floats as the one-row kernel's scalar product.
            var d = Vector256.Create(table[*(ushort*)(row + 208)]);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum0), d * Vector256.Create(d0[i]), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum1), d * Vector256.Create(d1[i]), acc1);
            acc2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum2), d * Vector256.Create(d2[i]), acc2);
            acc3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum3), d * Vector256.Create(d3[i]), acc3);
        }
        y[0] = Vector256.Sum(acc0);
        y[yStride] = Vector256.Sum(acc1);
        y[2 * yStride] = Vector256.Sum(acc2);
        y[3 * yStride] = Vector256.Sum(acc3);
    }
}
