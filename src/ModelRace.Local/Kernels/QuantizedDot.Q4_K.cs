using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Q4_K and Q5_K weights against Q8_K activations. A 144-byte super-block holds 256 weights: fp16 d and dmin, twelve bytes
/// packing eight 6-bit scales and eight 6-bit mins, and 128 bytes of nibbles (low nibbles of byte run j are sub-block
/// 2j, high nibbles sub-block 2j+1). weight = d·scale·q − dmin·min, so a super-block's dot is
/// d·x.d·Σ scale·(q·x) − dmin·x.d·Σ min·(sum of the sub-block's activations); the second sum uses Q8_K's sub-block sums.
/// Every float is rounded as in llama.cpp's AVX2 kernel (ggml_vec_dot_q4_K_q8_K), so the results are its bits: the same
/// integer sum in each of the eight lanes, one multiply-add per super-block into eight float lanes, the mins' term in
/// four lanes of its own, and both reduced in ggml's order at the end.
/// </summary>
public static unsafe partial class QuantizedDot
{
    private const int Q4_KBlockBytes = 144;
    private const int Q5_KBlockBytes = 176;

    /// <summary>The scales and mins of one super-block, unpacked from their 12 bytes (the bit layout of ggml's get_scale_min_k4).</summary>
    private readonly struct Q4_KScales
    {
        /// <summary>The eight scales as bytes, repeated in both 128-bit lanes, ready for in-lane shuffles.</summary>
        private readonly Vector256<byte> _scaleBytes;
        /// <summary>The eight mins as bytes.</summary>
        private readonly Vector128<byte> _minBytes;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Q4_KScales(byte* packed)
        {
            const uint low6 = 0x3f3f3f3f, low4 = 0x0f0f0f0f, low2 = 0x03030303;
            uint a = *(uint*)packed, b = *(uint*)(packed + 4), c = *(uint*)(packed + 8);
            var scales = (a & low6) | (ulong)((c & low4) | (((a >> 6) & low2) << 4)) << 32;
            var mins = (b & low6) | (ulong)(((c >> 4) & low4) | (((b >> 6) & low2) << 4)) << 32;
            _scaleBytes = Vector256.Create(scales).AsByte();
            _minBytes = Vector128.CreateScalar(mins).AsByte();
        }

        /// <summary>
        /// The eight mins as int16s, lined up with the Q8_K sub-block sums. Widened where it is used, after the runs:
        /// held across them, it took a register the runs needed.
        /// </summary>
        public Vector128<short> Mins => Sse41.ConvertToVector128Int16(_minBytes);

        /// <summary>The scale of the sub-block that <paramref name="selector"/> picks, in all sixteen int16 lanes (one byte shuffle).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<short> Scale(Vector256<byte>* selector) => Avx2.Shuffle(_scaleBytes, *selector).AsInt16();
    }

    /// <summary>Shuffle masks: selector k copies byte k into the low byte of every int16 and zeroes the high byte.</summary>
    private static readonly Vector256<byte>* ScaleSelectors = Simd.Constants(8, k => Vector256.Create((ushort)(0x8000 | k)).AsByte());

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float VectorDotQ4_K(byte* row, QuantizedActivations x, int activation) => Q4_KOrQ5_K<No>(row, x, activation);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float VectorDotQ5_K(byte* row, QuantizedActivations x, int activation) => Q4_KOrQ5_K<Yes>(row, x, activation);

    /// <summary>Q5_K is Q4_K plus 32 bytes of fifth bits after the scales: bit 2j of byte l belongs to run j's low nibble l, bit 2j+1 to its high nibble.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Q4_KOrQ5_K<TFifthBit>(byte* row, QuantizedActivations x, int activation) where TFifthBit : struct, IFlag
    {
        var blockBytes = TFifthBit.Value ? Q5_KBlockBytes : Q4_KBlockBytes;
        var xq = x.QuantsOf(activation);
        var xd = x.ScalesOf(activation);
        var subBlockSums = x.SubBlockSumsOf(activation);
        var subBlockSumStride = x.SubBlockSumStride;
        var table = Simd.HalfToFloat;
        var acc = Vector256<float>.Zero;
        var minAcc = Vector128<float>.Zero;
        // The loops walk pointers, and each super-block's four runs are written out (Run with a constant run index),
        // so every load has a constant offset: the JIT kept neither a loop nor index arithmetic inside a super-block.
        for (var end = row + (long)(x.Length / 256) * blockBytes; row < end; row += blockBytes, xq += 256, xd++, subBlockSums += subBlockSumStride)
        {
            PrefetchAhead(row, blockBytes);
            var scales = new Q4_KScales(row + 4);
            // Two integer chains (low and high nibbles) instead of one, so the multiply-adds do not wait on each
            // other; integer sums are exact, so the result is the four-row kernel's to the bit.
            Vector256<int> lowSum = default, highSum = default;
            var fifthBits = TFifthBit.Value ? Vector256.Load(row + 16) : default;
            Run<TFifthBit>(0, row, scales, ref fifthBits, xq, ref lowSum, ref highSum);
            Run<TFifthBit>(1, row, scales, ref fifthBits, xq, ref lowSum, ref highSum);
            Run<TFifthBit>(2, row, scales, ref fifthBits, xq, ref lowSum, ref highSum);
            Run<TFifthBit>(3, row, scales, ref fifthBits, xq, ref lowSum, ref highSum);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.Add(lowSum, highSum)), Vector256.Create(table[*(ushort*)row] * *xd), acc);
            minAcc = Q4_KMins<TFifthBit>(minAcc, scales.Mins, subBlockSums, Vector128.Create(-table[*(ushort*)(row + 2)] * *xd));
        }
        return Simd.SumInGgmlOrder(acc) + Simd.SumInGgmlOrder(minAcc);
    }

    /// <summary>Run <paramref name="run"/> (64 weights) of one activation row: low nibbles into one chain, high into the other.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Run<TFifthBit>(int run, byte* superBlock, Q4_KScales scales, ref Vector256<byte> fifthBits, sbyte* activations, ref Vector256<int> lowSum, ref Vector256<int> highSum) where TFifthBit : struct, IFlag
    {
        var (low, high) = Unpack<TFifthBit>(superBlock, run, ref fifthBits);
        lowSum = Simd.MultiplyAddPairs(lowSum, scales.Scale(ScaleSelectors + 2 * run), Avx2.MultiplyAddAdjacent(low, Vector256.Load(activations + 64 * run)));
        highSum = Simd.MultiplyAddPairs(highSum, scales.Scale(ScaleSelectors + 2 * run + 1), Avx2.MultiplyAddAdjacent(high, Vector256.Load(activations + (64 * run + 32))));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void VectorDotQ4_Kx4(byte* row, QuantizedActivations x, int first, float* y, long yStride) => Q4_KOrQ5_Kx4<No>(row, x, first, y, yStride);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void VectorDotQ5_Kx4(byte* row, QuantizedActivations x, int first, float* y, long yStride) => Q4_KOrQ5_Kx4<Yes>(row, x, first, y, yStride);

    /// <summary>
    /// One weight row against four activation rows; each super-block is unpacked once. Written out like the one-row
    /// kernel, with a pointer per row's quants. Unrolling the runs made this kernel 11% faster than a loop over them
    /// (the JIT did not unroll it).
    /// </summary>
    /// <remarks>
    /// The four rows' scales of a super-block lie side by side (<see cref="QuantizedActivations.ScalesByBlockOf"/>),
    /// so one multiply gives the four d·x.d and one the four dmin·x.d, each spread to its row by a permute on the
    /// shuffle port, where one multiply per row and product ran on the two arithmetic ports. The mins' term of two rows
    /// shares a register (row 0's four lanes, then row 1's), as their sub-block sums share a 256-bit load. The floats
    /// and lanes are the one-row kernel's, so the bits are too.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q4_KOrQ5_Kx4<TFifthBit>(byte* row, QuantizedActivations x, int first, float* y, long yStride) where TFifthBit : struct, IFlag
    {
        var blockBytes = TFifthBit.Value ? Q5_KBlockBytes : Q4_KBlockBytes;
        var superBlocks = x.Length / 256;
        sbyte* q0 = x.QuantsOf(first), q1 = x.QuantsOf(first + 1), q2 = x.QuantsOf(first + 2), q3 = x.QuantsOf(first + 3);
        var d = x.ScalesByBlockOf(first);
        long dStride = x.Batch;
        var g = x.SubBlockSumsOf(first);
        var gStride = x.SubBlockSumStride;
        var table = Simd.HalfToFloat;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        Vector256<float> minAcc01 = default, minAcc23 = default;
        float minSum0 = 0, minSum1 = 0, minSum2 = 0, minSum3 = 0;
        for (var end = row + (long)superBlocks * blockBytes; row < end; row += blockBytes, q0 += 256, q1 += 256, q2 += 256, q3 += 256, d += dStride, g += gStride)
        {
            PrefetchAhead(row, blockBytes);
            var scales = new Q4_KScales(row + 4);
            Vector256<int> sum0 = default, sum1 = default, sum2 = default, sum3 = default;
            var fifthBits = TFifthBit.Value ? Vector256.Load(row + 16) : default;
            RunX4<TFifthBit>(0, row, scales, ref fifthBits, q0, q1, q2, q3, ref sum0, ref sum1, ref sum2, ref sum3);
            RunX4<TFifthBit>(1, row, scales, ref fifthBits, q0, q1, q2, q3, ref sum0, ref sum1, ref sum2, ref sum3);
            RunX4<TFifthBit>(2, row, scales, ref fifthBits, q0, q1, q2, q3, ref sum0, ref sum1, ref sum2, ref sum3);
            RunX4<TFifthBit>(3, row, scales, ref fifthBits, q0, q1, q2, q3, ref sum0, ref sum1, ref sum2, ref sum3);
            var activationScales = Vector128.Load(d);
            var rowScales = (Vector128.Create(table[*(ushort*)row]) * activationScales).ToVector256Unsafe();
            var minScales = (Vector128.Create(-table[*(ushort*)(row + 2)]) * activationScales).ToVector256Unsafe();
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum0), Avx2.PermuteVar8x32(rowScales, Vector256.Create(0)), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum1), Avx2.PermuteVar8x32(rowScales, Vector256.Create(1)), acc1);
            acc2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum2), Avx2.PermuteVar8x32(rowScales, Vector256.Create(2)), acc2);
            acc3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum3), Avx2.PermuteVar8x32(rowScales, Vector256.Create(3)), acc3);
            var mins = scales.Mins;
            var minProducts01 = Avx2.MultiplyAddAdjacent(Vector256.Create(mins, mins), Vector256.Load(g));
            var minProducts23 = Avx2.MultiplyAddAdjacent(Vector256.Create(mins, mins), Vector256.Load(g + 16));
            if (TFifthBit.Value)
            {
                minSum0 = Q5_KMins(minSum0, minProducts01.GetLower(), minScales.GetElement(0));
                minSum1 = Q5_KMins(minSum1, minProducts01.GetUpper(), minScales.GetElement(1));
                minSum2 = Q5_KMins(minSum2, minProducts23.GetLower(), minScales.GetElement(2));
                minSum3 = Q5_KMins(minSum3, minProducts23.GetUpper(), minScales.GetElement(3));
            }
            else
            {
                minAcc01 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(minProducts01), Avx2.PermuteVar8x32(minScales, Vector256.Create(0, 0, 0, 0, 1, 1, 1, 1)), minAcc01);
                minAcc23 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(minProducts23), Avx2.PermuteVar8x32(minScales, Vector256.Create(2, 2, 2, 2, 3, 3, 3, 3)), minAcc23);
            }
        }
        if (TFifthBit.Value)
        {
            y[0] = Simd.SumInGgmlOrder(acc0) + minSum0;
            y[yStride] = Simd.SumInGgmlOrder(acc1) + minSum1;
            y[2 * yStride] = Simd.SumInGgmlOrder(acc2) + minSum2;
            y[3 * yStride] = Simd.SumInGgmlOrder(acc3) + minSum3;
            return;
        }
        y[0] = Simd.SumInGgmlOrder(acc0) + Simd.SumInGgmlOrder(minAcc01.GetLower());
        y[yStride] = Simd.SumInGgmlOrder(acc1) + Simd.SumInGgmlOrder(minAcc01.GetUpper());
        y[2 * yStride] = Simd.SumInGgmlOrder(acc2) + Simd.SumInGgmlOrder(minAcc23.GetLower());
        y[3 * yStride] = Simd.SumInGgmlOrder(acc3) + Simd.SumInGgmlOrder(minAcc23.GetUpper());
    }

    /// <summary>Run <paramref name="run"/> unpacked once and met by all four activation rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunX4<TFifthBit>(int run, byte* superBlock, Q4_KScales scales, ref Vector256<byte> fifthBits, sbyte* q0, sbyte* q1, sbyte* q2, sbyte* q3,
        ref Vector256<int> sum0, ref Vector256<int> sum1, ref Vector256<int> sum2, ref Vector256<int> sum3) where TFifthBit : struct, IFlag
    {
        var (low, high) = Unpack<TFifthBit>(superBlock, run, ref fifthBits);
        var lowScale = scales.Scale(ScaleSelectors + 2 * run);
        var highScale = scales.Scale(ScaleSelectors + 2 * run + 1);
        sum0 = Q4_KRun(sum0, low, high, lowScale, highScale, q0, run);
        sum1 = Q4_KRun(sum1, low, high, lowScale, highScale, q1, run);
        sum2 = Q4_KRun(sum2, low, high, lowScale, highScale, q2, run);
        sum3 = Q4_KRun(sum3, low, high, lowScale, highScale, q3, run);
    }

    /// <summary>
    /// One activation row's share of run <paramref name="run"/>: both halves scaled by their sub-block scales, into
    /// <paramref name="sum"/>. Each load's offset from the row's quants is one constant, which the JIT folds into the
    /// instruction; an offset pointer shared by both loads cost an extra instruction per load pair.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4_KRun(Vector256<int> sum, Vector256<byte> low, Vector256<byte> high, Vector256<short> lowScale, Vector256<short> highScale, sbyte* quants, int run) =>
        Simd.MultiplyAddPairs(Simd.MultiplyAddPairs(sum, lowScale, Avx2.MultiplyAddAdjacent(low, Vector256.Load(quants + 64 * run))), highScale, Avx2.MultiplyAddAdjacent(high, Vector256.Load(quants + (64 * run + 32))));

    /// <summary>Run j's 32 low and 32 high weights (0–15, or 0–31 with the fifth bit); the fifth bits move down two places per run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<byte> Low, Vector256<byte> High) Unpack<TFifthBit>(byte* superBlock, int run, ref Vector256<byte> fifthBits) where TFifthBit : struct, IFlag
    {
        var lowNibbles = Vector256.Create((byte)0x0F);
        var packed = Vector256.Load(superBlock + (TFifthBit.Value ? 48 : 16) + 32 * run);
        var low = Avx2.And(packed, lowNibbles);
        var high = Avx2.And(Avx2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte(), lowNibbles);
        if (TFifthBit.Value)
        {
            // 16-bit shifts: each byte is masked to one bit first, and that bit stays inside its byte.
            low = Avx2.Or(low, Avx2.ShiftLeftLogical(Avx2.And(fifthBits, Vector256.Create((byte)1)).AsUInt16(), 4).AsByte());
            high = Avx2.Or(high, Avx2.ShiftLeftLogical(Avx2.And(fifthBits, Vector256.Create((byte)2)).AsUInt16(), 3).AsByte());
            fifthBits = Avx2.ShiftRightLogical(fifthBits.AsUInt16(), 2).AsByte();
        }
        return (low, high);
    }

    /// <summary>
    /// The mins' term as llama.cpp rounds it. Q4_K: in four lanes of their own, lane j holding min(2j)·sum(2j) +
    /// min(2j+1)·sum(2j+1), kept apart from the scaled sums until the end. Q5_K: the whole integer sum, into one float
    /// by a scalar multiply-add (ggml's "summs += dmin * sum", which GCC fuses), held in lane 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Q4_KMins<TFifthBit>(Vector128<float> acc, Vector128<short> mins, short* subBlockSums, Vector128<float> negativeMinScale) where TFifthBit : struct, IFlag
    {
        var products = Sse2.MultiplyAddAdjacent(mins, Vector128.Load(subBlockSums));
        if (TFifthBit.Value) return Vector128.CreateScalar(Q5_KMins(acc.ToScalar(), products, negativeMinScale.ToScalar()));
        return Fma.MultiplyAdd(Sse2.ConvertToVector128Single(products), negativeMinScale, acc);
    }

    /// <summary>Q5_K's mins' term: the super-block's whole integer sum of min·sum products into one float, fused as GCC builds ggml.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Q5_KMins(float sum, Vector128<int> products, float negativeMinScale) =>
        MathF.FusedMultiplyAdd(negativeMinScale, Vector128.Sum(products), sum);
}
