using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Float-type weights (F32, F16, BF16) against float activations, four weight rows at a time. Every output is summed in
/// exactly one order (8-lane multiply-adds along the row, one horizontal sum, then any leftover columns) whatever path
/// computes it, so a row's result never depends on the batch it came in.
/// <list type="bullet">
/// <item>Decoding F16 (up to four activation rows) widens each weight in registers, in three instructions instead of
/// an exact conversion's eight: the exponent and mantissa bits move up into a float whose value is the weight × 2⁻¹¹²,
/// and the activation is multiplied by 2¹¹² instead. Both scalings are exact (fp16-rounded activations stay below
/// 2¹⁶, fp16 subnormals land on float subnormals), so each product is the true one and rounds the same. That shortcut
/// cannot express infinities and NaNs, so a matrix holding any (<see cref="WeightMatrix.HalvesAllFinite"/>) takes the
/// general path.</item>
/// <item>Otherwise four rows are widened exactly into a per-thread buffer once, and every 4×3 tile of (weight row,
/// activation row) runs twelve accumulators, so each loaded vector feeds three or four multiply-adds (4×2 and 4×1
/// tiles take the last activation rows). With AVX-512, eight activation rows at a time go through paired 512-bit
/// tiles first (FloatTiles.Wide.cs), which keep the same order.</item>
/// </list>
/// The rest is 256-bit, so any AVX2 machine runs it. An earlier 512-bit version summed 16 lanes, so its bits differed
/// from the 256-bit kernels', and on AMD's Zen 4 (which executes a 512-bit operation as two 256-bit halves) it had no
/// more multiply-adds per cycle to offer.
/// </summary>
internal static unsafe partial class FloatTiles
{
    public const int RowsPerTile = 4;

    public static bool IsSupported(GgmlType type) =>
        Simd.IsAccelerated && type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    [ThreadStatic] private static AlignedBuffer<float>? t_widenedRows;

    /// <summary>
    /// Up to this many activation rows, F16 weights are widened in registers (for each row, <see cref="HalfTile4x1"/>,
    /// or for four at once, <see cref="HalfTile4x4"/>) rather than once into a buffer. Measured side by side with the
    /// per-row tiles: four chats decoding together ran 1.2–1.4× faster this way than through the buffer, eight 0.8×.
    /// </summary>
    private const int MostRowsWidenedInRegisters = 4;

    /// <summary>
    /// How far ahead the F16 decode tiles (<see cref="HalfTile4x1"/> and its kin) ask for weights, in rows: a tile
    /// reads four rows side by side, so it asks for the next tile's four rows at the column in hand. Measured side by side on F16 decoding (one sitting),
    /// this beat asking 2 KiB ahead along each row by 1.3–1.5×: with 4 KiB rows, 2 KiB ahead was mostly lines that the
    /// tile's other rows were about to read anyway. Past a matrix's last tile the prefetches name lines that are never
    /// used, which costs little and cannot fault.
    /// </summary>
    private const int PrefetchRows = RowsPerTile;

    /// <summary>
    /// Whether a multiply-add with a subnormal input stalls here. The shortcut turns fp16 subnormals into float
    /// subnormals, and Intel cores take a microcode assist for each such multiply-add: on an Emerald Rapids Xeon, 623
    /// subnormal halves among 524,288 weights (random, as a synthesized model has them) made four chats' decode tiles
    /// 2.3–3.1× slower (932–1,291 ns per 2048-column row against 414–416 with those halves zeroed), and a synthesized
    /// TinyLlama F16 file decoded one chat at 4.09–4.18 tok/s against 5.45–6.08 with its subnormals zeroed. Zen 3
    /// showed no such cost. There, <see cref="GuardedHalfTile4x1"/> and <see cref="HalfTile4x4"/> widen the runs that
    /// hold one without subnormals.
    /// </summary>
    internal static readonly bool SubnormalsStall = Simd.IsIntel;

    /// <summary>Halves per bit of <see cref="WeightMatrix.SubnormalLines"/>: 64 bytes, one cache line of a row.</summary>
    internal const int SubnormalLineHalves = 32;

    /// <summary>
    /// One bit per run of 32 halves of each row (row-major, rows padded to whole runs), set where the run holds a
    /// subnormal; null when none does.
    /// </summary>
    internal static ulong[]? MapSubnormalLines(ushort* data, int rows, int columns)
    {
        var any = false;
        var linesPerRow = (columns + SubnormalLineHalves - 1) / SubnormalLineHalves;
        var map = new ulong[((long)rows * linesPerRow + 63) / 64];
        for (var row = 0; row < rows; row++)
            for (var line = 0; line < linesPerRow; line++)
            {
                var start = line * SubnormalLineHalves;
                if (!Simd.AnyHalfSubnormal(data + (long)row * columns + start, Math.Min(SubnormalLineHalves, columns - start))) continue;
                var bit = (long)row * linesPerRow + line;
                map[bit / 64] |= 1UL << (int)(bit % 64);
                any = true;
            }
        return any ? map : null;
    }

    /// <summary>2¹¹², which the shortcut's weights lack and its activations gain.</summary>
    private static readonly Vector256<float> HalfRebias = Vector256.Create(BitConverter.UInt32BitsToSingle(0x77800000));

    /// <summary>
    /// Rows <paramref name="firstRow"/> … firstRow+rowCount−1 (at most four) of <paramref name="w"/> against activation
    /// rows 0 … batch−1 of <paramref name="x"/>; output (b, r) goes to y[b·w.Rows + r].
    /// </summary>
    public static void Multiply(in WeightMatrix w, int firstRow, int rowCount, float* x, int batch, float* y)
    {
        var columns = w.Columns;
        if (w.Type == GgmlType.F16 && rowCount == RowsPerTile && batch <= MostRowsWidenedInRegisters && w.HalvesAllFinite)
        {
            // Decoding: each weight is used a few times, so widen it in registers rather than through a buffer; the
            // four rows stay in cache for the second and later activation rows.
            var linesPerRow = (columns + SubnormalLineHalves - 1) / SubnormalLineHalves;
            if (batch == ChatsPerHalfTile && FourChatTileSupported)
            {
                fixed (ulong* map = w.SubnormalLines)
                    HalfTile4x4((ushort*)w.Row(firstRow), w.RowBytes / 2, x, columns, y + firstRow, w.Rows, map, (long)firstRow * linesPerRow, linesPerRow);
                return;
            }
            for (var activationRow = 0; activationRow < batch; activationRow++)
            {
                var output = y + (long)activationRow * w.Rows + firstRow;
                if (w.SubnormalLines is { } lines)
                    fixed (ulong* map = lines)
                        GuardedHalfTile4x1((ushort*)w.Row(firstRow), w.RowBytes / 2, x + (long)activationRow * columns, columns, output, map, (long)firstRow * linesPerRow, linesPerRow);
                else HalfTile4x1((ushort*)w.Row(firstRow), w.RowBytes / 2, x + (long)activationRow * columns, columns, output);
            }
            return;
        }
        // Room for the four widened rows and, where paired tiles run, the same rows interleaved in pairs after them.
        var bufferLength = (PairedRowsSupported ? 2 : 1) * RowsPerTile * columns;
        var buffer = t_widenedRows is { } existing && existing.Length >= bufferLength ? existing : (t_widenedRows = new AlignedBuffer<float>(bufferLength)).Value;
        var widened = buffer.Start;
        var rows = stackalloc float*[RowsPerTile];
        for (var i = 0; i < rowCount; i++)
        {
            var row = w.Row(firstRow + i);
            if (w.Type == GgmlType.F32) rows[i] = (float*)row;
            else
            {
                rows[i] = widened + i * columns;
                RowDot.Decode(w.Type, row, new Span<float>(rows[i], columns));
            }
        }
        var b = 0;
        if (rowCount == RowsPerTile && PairedRowsSupported && batch >= ActivationRowsPerPairedTile)
        {
            float* pair01 = widened + RowsPerTile * columns, pair23 = pair01 + 2 * columns;
            InterleavePair(rows[0], rows[1], pair01, columns);
            InterleavePair(rows[2], rows[3], pair23, columns);
            for (; b + ActivationRowsPerPairedTile <= batch; b += ActivationRowsPerPairedTile)
                PairedTile4x8(rows, pair01, pair23, x + (long)b * columns, columns, y + (long)b * w.Rows + firstRow, w.Rows);
        }
        if (rowCount == RowsPerTile)
        {
            for (; b + 3 <= batch; b += 3)
                Tile4x3(rows, x + (long)b * columns, columns, y + (long)b * w.Rows + firstRow, w.Rows);
            if (b + 2 <= batch)
            {
                Tile4x2(rows, x + (long)b * columns, columns, y + (long)b * w.Rows + firstRow, w.Rows);
                b += 2;
            }
        }
        for (; b < batch; b++)
        {
            var activation = x + (long)b * columns;
            if (rowCount == RowsPerTile) Tile4x1(rows, activation, columns, y + (long)b * w.Rows + firstRow);
            else for (var i = 0; i < rowCount; i++) y[(long)b * w.Rows + firstRow + i] = Dot(rows[i], activation, columns);
        }
    }

    /// <summary>The order every output follows: 8-lane multiply-adds, a horizontal sum, then any leftover columns.</summary>
    private static float Dot(float* w, float* x, int columns)
    {
        var acc = Vector256<float>.Zero;
        var k = 0;
        for (; k + 8 <= columns; k += 8) acc = Fma.MultiplyAdd(Vector256.Load(w + k), Vector256.Load(x + k), acc);
        return Finish(acc, w, x, k, columns);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(Vector256<float> acc, float* w, float* x, int k, int columns)
    {
        var sum = Vector256.Sum(acc);
        for (; k < columns; k++) sum = MathF.FusedMultiplyAdd(w[k], x[k], sum);
        return sum;
    }

    private static void Tile4x1(float** rows, float* x, int columns, float* y)
    {
        float* w0 = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var k = 0;
        for (; k + 8 <= columns; k += 8)
        {
            var xv = Vector256.Load(x + k);
            a0 = Fma.MultiplyAdd(Vector256.Load(w0 + k), xv, a0);
            a1 = Fma.MultiplyAdd(Vector256.Load(w1 + k), xv, a1);
            a2 = Fma.MultiplyAdd(Vector256.Load(w2 + k), xv, a2);
            a3 = Fma.MultiplyAdd(Vector256.Load(w3 + k), xv, a3);
        }
        y[0] = Finish(a0, w0, x, k, columns);
        y[1] = Finish(a1, w1, x, k, columns);
        y[2] = Finish(a2, w2, x, k, columns);
        y[3] = Finish(a3, w3, x, k, columns);
    }

    /// <summary>
    /// Four rows against three activation rows: twelve accumulators, so the two multiply-add pipes never wait on a
    /// four-cycle multiply-add, and each loaded vector feeds three or four. Measured against 4×2 tiles on the same
    /// data, 1.24× the multiply-adds per second.
    /// </summary>
    private static void Tile4x3(float** rows, float* x, int columns, float* y, long yStride)
    {
        float* w0 = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
        float* x0 = x, x1 = x + columns, x2 = x + 2L * columns;
        Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        var k = 0;
        for (; k + 8 <= columns; k += 8)
        {
            var v0 = Vector256.Load(x0 + k);
            var v1 = Vector256.Load(x1 + k);
            var v2 = Vector256.Load(x2 + k);
            var r = Vector256.Load(w0 + k);
            a00 = Fma.MultiplyAdd(r, v0, a00); a01 = Fma.MultiplyAdd(r, v1, a01); a02 = Fma.MultiplyAdd(r, v2, a02);
            r = Vector256.Load(w1 + k);
            a10 = Fma.MultiplyAdd(r, v0, a10); a11 = Fma.MultiplyAdd(r, v1, a11); a12 = Fma.MultiplyAdd(r, v2, a12);
            r = Vector256.Load(w2 + k);
            a20 = Fma.MultiplyAdd(r, v0, a20); a21 = Fma.MultiplyAdd(r, v1, a21); a22 = Fma.MultiplyAdd(r, v2, a22);
            r = Vector256.Load(w3 + k);
            a30 = Fma.MultiplyAdd(r, v0, a30); a31 = Fma.MultiplyAdd(r, v1, a31); a32 = Fma.MultiplyAdd(r, v2, a32);
        }
        var y1 = y + yStride;
        var y2 = y + 2 * yStride;
        y[0] = Finish(a00, w0, x0, k, columns); y1[0] = Finish(a01, w0, x1, k, columns); y2[0] = Finish(a02, w0, x2, k, columns);
        y[1] = Finish(a10, w1, x0, k, columns); y1[1] = Finish(a11, w1, x1, k, columns); y2[1] = Finish(a12, w1, x2, k, columns);
        y[2] = Finish(a20, w2, x0, k, columns); y1[2] = Finish(a21, w2, x1, k, columns); y2[2] = Finish(a22, w2, x2, k, columns);
        y[3] = Finish(a30, w3, x0, k, columns); y1[3] = Finish(a31, w3, x1, k, columns); y2[3] = Finish(a32, w3, x2, k, columns);
    }

    private static void Tile4x2(float** rows, float* x, int columns, float* y, long yStride)
    {
        float* w0 = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
        float* x0 = x, x1 = x + columns;
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
        var k = 0;
        for (; k + 8 <= columns; k += 8)
        {
            var v0 = Vector256.Load(x0 + k);
            var v1 = Vector256.Load(x1 + k);
            var r = Vector256.Load(w0 + k);
            a00 = Fma.MultiplyAdd(r, v0, a00); a01 = Fma.MultiplyAdd(r, v1, a01);
            r = Vector256.Load(w1 + k);
            a10 = Fma.MultiplyAdd(r, v0, a10); a11 = Fma.MultiplyAdd(r, v1, a11);
            r = Vector256.Load(w2 + k);
            a20 = Fma.MultiplyAdd(r, v0, a20); a21 = Fma.MultiplyAdd(r, v1, a21);
            r = Vector256.Load(w3 + k);
            a30 = Fma.MultiplyAdd(r, v0, a30); a31 = Fma.MultiplyAdd(r, v1, a31);
        }
        y[0] = Finish(a00, w0, x0, k, columns); y[yStride] = Finish(a01, w0, x1, k, columns);
        y[1] = Finish(a10, w1, x0, k, columns); y[yStride + 1] = Finish(a11, w1, x1, k, columns);
        y[2] = Finish(a20, w2, x0, k, columns); y[yStride + 2] = Finish(a21, w2, x1, k, columns);
        y[3] = Finish(a30, w3, x0, k, columns); y[yStride + 3] = Finish(a31, w3, x1, k, columns);
    }

    /// <summary>As <see cref="Tile4x1"/> for four consecutive F16 rows of finite values, widening each 8 weights as they are loaded.</summary>
    private static void HalfTile4x1(ushort* w0, long rowStride, float* x, int columns, float* y)
    {
        ushort* w1 = w0 + rowStride, w2 = w1 + rowStride, w3 = w2 + rowStride;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var rebias = HalfRebias;
        var k = 0;
        // Each cache line of the next tile's rows is asked for (see PrefetchRows); the order of the multiply-adds is the
        // same as with no prefetching.
        var ahead = PrefetchRows * rowStride;
        for (; k + 32 <= columns; k += 32)
        {
            Sse.Prefetch0(w0 + ahead + k);
            Sse.Prefetch0(w1 + ahead + k);
            Sse.Prefetch0(w2 + ahead + k);
            Sse.Prefetch0(w3 + ahead + k);
            for (var j = k; j < k + 32; j += 8)
            {
                var xv = Vector256.Load(x + j) * rebias;
                a0 = Fma.MultiplyAdd(ScaledDownHalves(w0 + j), xv, a0);
                a1 = Fma.MultiplyAdd(ScaledDownHalves(w1 + j), xv, a1);
                a2 = Fma.MultiplyAdd(ScaledDownHalves(w2 + j), xv, a2);
                a3 = Fma.MultiplyAdd(ScaledDownHalves(w3 + j), xv, a3);
            }
        }
        // The last columns short of a whole line, without the prefetches (testing k for a prefetch inside one loop
        // instead cost a quarter of F16 decoding speed side by side).
        FinishHalfTile(w0, w1, w2, w3, x, k, columns, y, exact: false, a0, a1, a2, a3);
    }

    /// <summary>The columns after the last whole run of 32, eight at a time (by the shortcut or exactly), then the sums.</summary>
    /// <remarks>
    /// Inlined: called after a kernel's loop, a method kept its accumulators on the stack. The one-chat kernels pass
    /// <paramref name="exact"/> as a constant; the four-chat tile passes whether its matrix is guarded.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishHalfTile(ushort* w0, ushort* w1, ushort* w2, ushort* w3, float* x, int k, int columns, float* y, bool exact,
        Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3)
    {
        for (; k + 8 <= columns; k += 8)
        {
            if (exact)
            {
                var v = Vector256.Load(x + k);
                a0 = Fma.MultiplyAdd(ExactHalves(w0 + k), v, a0);
                a1 = Fma.MultiplyAdd(ExactHalves(w1 + k), v, a1);
                a2 = Fma.MultiplyAdd(ExactHalves(w2 + k), v, a2);
                a3 = Fma.MultiplyAdd(ExactHalves(w3 + k), v, a3);
                continue;
            }
            var xv = Vector256.Load(x + k) * HalfRebias;
            a0 = Fma.MultiplyAdd(ScaledDownHalves(w0 + k), xv, a0);
            a1 = Fma.MultiplyAdd(ScaledDownHalves(w1 + k), xv, a1);
            a2 = Fma.MultiplyAdd(ScaledDownHalves(w2 + k), xv, a2);
            a3 = Fma.MultiplyAdd(ScaledDownHalves(w3 + k), xv, a3);
        }
        y[0] = FinishHalves(a0, w0, x, k, columns);
        y[1] = FinishHalves(a1, w1, x, k, columns);
        y[2] = FinishHalves(a2, w2, x, k, columns);
        y[3] = FinishHalves(a3, w3, x, k, columns);
    }

    /// <summary>
    /// As <see cref="HalfTile4x1"/> for a matrix whose subnormal halves would stall it: a run of 32 halves that holds
    /// one (<paramref name="subnormalLines"/>, from bit <paramref name="firstLine"/>, <paramref name="linesPerRow"/> a
    /// row) is widened exactly and meets the activation unscaled. Its products are the same exact numbers either way, so
    /// every multiply-add rounds as the shortcut's would and the bits do not change.
    /// </summary>
    private static void GuardedHalfTile4x1(ushort* w0, long rowStride, float* x, int columns, float* y, ulong* subnormalLines, long firstLine, long linesPerRow)
    {
        ushort* w1 = w0 + rowStride, w2 = w1 + rowStride, w3 = w2 + rowStride;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var rebias = HalfRebias;
        var k = 0;
        var ahead = PrefetchRows * rowStride;
        for (var line = firstLine; k + 32 <= columns; k += 32, line++)
        {
            Sse.Prefetch0(w0 + ahead + k);
            Sse.Prefetch0(w1 + ahead + k);
            Sse.Prefetch0(w2 + ahead + k);
            Sse.Prefetch0(w3 + ahead + k);
            a0 = HalfRun(w0 + k, x + k, a0, rebias, IsSet(subnormalLines, line));
            a1 = HalfRun(w1 + k, x + k, a1, rebias, IsSet(subnormalLines, line + linesPerRow));
            a2 = HalfRun(w2 + k, x + k, a2, rebias, IsSet(subnormalLines, line + 2 * linesPerRow));
            a3 = HalfRun(w3 + k, x + k, a3, rebias, IsSet(subnormalLines, line + 3 * linesPerRow));
        }
        // A row's last columns short of a whole run: always the exact widening.
        FinishHalfTile(w0, w1, w2, w3, x, k, columns, y, exact: true, a0, a1, a2, a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsSet(ulong* map, long bit) => (map[bit >> 6] & (1UL << (int)(bit & 63))) != 0;

    /// <summary>32 weights of one row into its accumulator, eight at a time, by the shortcut or exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfRun(ushort* w, float* x, Vector256<float> acc, Vector256<float> rebias, bool holdsSubnormal)
    {
        if (holdsSubnormal)
        {
            for (var j = 0; j < 32; j += 8) acc = Fma.MultiplyAdd(ExactHalves(w + j), Vector256.Load(x + j), acc);
            return acc;
        }
        for (var j = 0; j < 32; j += 8) acc = Fma.MultiplyAdd(ScaledDownHalves(w + j), Vector256.Load(x + j) * rebias, acc);
        return acc;
    }

    /// <summary>
    /// Eight finite fp16 values as floats, exactly and without a float subnormal on the way: the exponent is rebiased by
    /// an integer add, which is exact for normal halves; a subnormal (or zero) half then reads 2⁻¹⁵·(1 + m/1024), and
    /// (that − 2⁻¹⁵)·2 = m·2⁻²⁴ is its value, every step exact on normal floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ExactHalves(ushort* source)
    {
        var bits = Avx2.ConvertToVector256Int32((short*)source);
        var magnitude = Avx2.ShiftLeftLogical(bits, 13) & Vector256.Create(0x0FFFE000);
        var rebiased = (magnitude + Vector256.Create(112 << 23)).AsSingle();
        var small = (rebiased - Vector256.Create(1f / 32768)) * Vector256.Create(2f);
        var isSmall = Vector256.LessThan(magnitude, Vector256.Create(1 << 23)).AsSingle();
        var value = Vector256.ConditionalSelect(isSmall, small, rebiased);
        return (value.AsInt32() | (bits & Vector256.Create(unchecked((int)0x80000000)))).AsSingle();
    }

    /// <summary>
    /// Eight finite fp16 values as floats 2¹¹² times smaller: sign-extended to 32 bits and moved up 13 places, the sign
    /// copies that land on bits 28–30 are masked off, leaving the sign at bit 31 and exponent and mantissa below.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ScaledDownHalves(ushort* source) =>
        (Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32((short*)source), 13) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float FinishHalves(Vector256<float> acc, ushort* w, float* x, int k, int columns)
    {
        var sum = Vector256.Sum(acc);
        for (; k < columns; k++) sum = MathF.FusedMultiplyAdd((float)BitConverter.UInt16BitsToHalf(w[k]), x[k], sum);
        return sum;
    }
}
