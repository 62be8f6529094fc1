using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Prompt tiles in 512-bit vectors that keep the 8-lane summation order: each vector holds eight columns of two weight
/// rows side by side, so its low half is one row's 8-lane accumulator and its high half the next row's, and every
/// output gets the same multiply-adds, in the same order, as from the 256-bit tiles (the same bits). The two rows are
/// interleaved into a buffer once per tile (eight columns of the first, eight of the second, …), so the multiply-adds
/// need no shuffles; each activation vector is broadcast to both halves by its load.
/// <para>Measured on an Emerald Rapids Xeon (one thread, 2048 columns, 128 activation rows, ns per weight row): F32
/// 7,294 with 4×3 tiles of 256 bits, 6,517 with paired 4×4 tiles (since dropped), 5,530 with paired 4×8; a
/// synthesized TinyLlama F16 prompt of 128 tokens ran 36–38 tok/s against 26–30 on one thread, and 70–74 against
/// 45–52 on two.</para>
/// </summary>
internal static unsafe partial class FloatTiles
{
    /// <summary>
    /// Where .NET accelerates 512-bit vectors. Measured on an Emerald Rapids Xeon (two 512-bit multiply-add pipes)
    /// only, not on AMD's Zen 4.
    /// </summary>
    private static readonly bool PairedRowsSupported = Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>The activation rows each paired tile takes (<see cref="PairedTile4x8"/>).</summary>
    private const int ActivationRowsPerPairedTile = 8;

    /// <summary>Rows <paramref name="first"/> and <paramref name="second"/>, eight columns of each in turn, up to the last whole eight.</summary>
    private static void InterleavePair(float* first, float* second, float* paired, int columns)
    {
        for (var k = 0; k + 8 <= columns; k += 8)
        {
            Vector256.Load(first + k).Store(paired + 2 * k);
            Vector256.Load(second + k).Store(paired + 2 * k + 8);
        }
    }

    /// <summary>
    /// Four weight rows (<paramref name="rows"/>, whose interleaved pairs are <paramref name="pair01"/> and
    /// <paramref name="pair23"/>) against eight activation rows: sixteen 512-bit accumulators, and each weight load
    /// feeds eight multiply-adds. Against four activation rows (eight accumulators, the four-cycle latency of two
    /// multiply-add pipes) this ran 1.18× faster; neither reaches two multiply-adds a cycle. The likely limit is L2:
    /// a batch's activations stream through L1 and push the paired rows out of it, 32 bytes per multiply-add against
    /// four activation rows and 24 against eight (an inference: this virtual machine exposes no performance counters).
    /// </summary>
    private static void PairedTile4x8(float** rows, float* pair01, float* pair23, float* x, int columns, float* y, long yStride)
    {
        float* x0 = x, x1 = x + columns, x2 = x + 2L * columns, x3 = x + 3L * columns;
        float* x4 = x + 4L * columns, x5 = x + 5L * columns, x6 = x + 6L * columns, x7 = x + 7L * columns;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a04 = default, a05 = default, a06 = default, a07 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a24 = default, a25 = default, a26 = default, a27 = default;
        var k = 0;
        for (; k + 8 <= columns; k += 8)
        {
            var r01 = Vector512.Load(pair01 + 2 * k);
            var r23 = Vector512.Load(pair23 + 2 * k);
            var v = Avx512F.BroadcastVector256ToVector512((double*)(x0 + k)).AsSingle();
            a00 = Avx512F.FusedMultiplyAdd(r01, v, a00); a20 = Avx512F.FusedMultiplyAdd(r23, v, a20);
            v = Avx512F.BroadcastVector256ToVector512((double*)(x1 + k)).AsSingle();
            a01 = Avx512F.FusedMultiplyAdd(r01, v, a01); a21 = Avx512F.FusedMultiplyAdd(r23, v, a21);
            v = Avx512F.BroadcastVector256ToVector512((double*)(x2 + k)).AsSingle();
            a02 = Avx512F.FusedMultiplyAdd(r01, v, a02); a22 = Avx512F.FusedMultiplyAdd(r23, v, a22);
            v = Avx512F.BroadcastVector256ToVector512((double*)(x3 + k)).AsSingle();
            a03 = Avx512F.FusedMultiplyAdd(r01, v, a03); a23 = Avx512F.FusedMultiplyAdd(r23, v, a23);
            v = Avx512F.BroadcastVector256ToVector512((double*)(x4 + k)).AsSingle();
            a04 = Avx512F.FusedMultiplyAdd(r01, v, a04); a24 = Avx512F.FusedMultiplyAdd(r23, v, a24);
            v = Avx512F.BroadcastVector256ToVector512((double*)(x5 + k)).AsSingle();
            a05 = Avx512F.FusedMultiplyAdd(r01, v, a05); a25 = Avx512F.FusedMultiplyAdd(r23, v, a25);
            v = Avx512F.BroadcastVector256ToVector512((double*)(x6 + k)).AsSingle();
            a06 = Avx512F.FusedMultiplyAdd(r01, v, a06); a26 = Avx512F.FusedMultiplyAdd(r23, v, a26);
            v = Avx512F.BroadcastVector256ToVector512((double*)(x7 + k)).AsSingle();
            a07 = Avx512F.FusedMultiplyAdd(r01, v, a07); a27 = Avx512F.FusedMultiplyAdd(r23, v, a27);
        }
        FinishPairs(rows, a00, a20, x0, k, columns, y);
        FinishPairs(rows, a01, a21, x1, k, columns, y + yStride);
        FinishPairs(rows, a02, a22, x2, k, columns, y + 2 * yStride);
        FinishPairs(rows, a03, a23, x3, k, columns, y + 3 * yStride);
        FinishPairs(rows, a04, a24, x4, k, columns, y + 4 * yStride);
        FinishPairs(rows, a05, a25, x5, k, columns, y + 5 * yStride);
        FinishPairs(rows, a06, a26, x6, k, columns, y + 6 * yStride);
        FinishPairs(rows, a07, a27, x7, k, columns, y + 7 * yStride);
    }

    /// <summary>One activation row's four outputs from its two paired accumulators, as <see cref="Finish"/> sums a lone one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishPairs(float** rows, Vector512<float> rows01, Vector512<float> rows23, float* x, int k, int columns, float* y)
    {
        y[0] = Finish(rows01.GetLower(), rows[0], x, k, columns);
        y[1] = Finish(rows01.GetUpper(), rows[1], x, k, columns);
        y[2] = Finish(rows23.GetLower(), rows[2], x, k, columns);
        y[3] = Finish(rows23.GetUpper(), rows[3], x, k, columns);
    }
}
