using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Float-type weights (F32, F16, BF16) against float activations, four weight rows at a time: the rows are widened to
/// float once into a per-thread buffer, then every 4×4 tile of (weight row, activation row) runs sixteen 16-lane
/// accumulators, so each loaded vector feeds four multiply-adds. Every output is summed in exactly the same order
/// (16-lane multiply-adds along the row, then one horizontal sum) whatever tile it falls in, so a row's result never
/// depends on the batch it came in. Needs 512-bit vectors; elsewhere <see cref="RowDot"/> runs instead.
/// </summary>
internal static unsafe class FloatTiles
{
    public const int RowsPerTile = 4;

    public static bool IsSupported(GgmlType type) =>
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated && type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    [ThreadStatic] private static float[]? t_widenedRows;

    /// <summary>
    /// Rows <paramref name="firstRow"/> … firstRow+rowCount−1 (at most four) of <paramref name="w"/> against activation
    /// rows 0 … batch−1 of <paramref name="x"/>; output (b, r) goes to y[b·w.Rows + r].
    /// </summary>
    public static void Multiply(in WeightMatrix w, int firstRow, int rowCount, float* x, int batch, float* y)
    {
        var columns = w.Columns;
        if (w.Type == GgmlType.F16 && rowCount == RowsPerTile && batch < 4)
        {
            // Decoding: each weight is used once or twice, so widen it in registers rather than through a buffer.
            for (var b = 0; b < batch; b++)
                HalfTile4x1((ushort*)w.Row(firstRow), w.RowBytes / 2, x + (long)b * columns, columns, y + (long)b * w.Rows + firstRow);
            return;
        }
        var buffer = t_widenedRows is { } existing && existing.Length >= RowsPerTile * columns ? existing : t_widenedRows = GC.AllocateArray<float>(RowsPerTile * columns, pinned: true);
        fixed (float* widened = buffer)
        {
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
            if (rowCount == RowsPerTile)
                for (; b + 4 <= batch; b += 4)
                    Tile4x4(rows, x + (long)b * columns, columns, y + (long)b * w.Rows + firstRow, w.Rows);
            for (; b < batch; b++)
            {
                var activation = x + (long)b * columns;
                if (rowCount == RowsPerTile) Tile4x1(rows, activation, columns, y + (long)b * w.Rows + firstRow);
                else for (var i = 0; i < rowCount; i++) y[(long)b * w.Rows + firstRow + i] = Dot(rows[i], activation, columns);
            }
        }
    }

    /// <summary>The order every output follows: 16-lane multiply-adds, a horizontal sum, then any leftover columns.</summary>
    private static float Dot(float* w, float* x, int columns)
    {
        var acc = Vector512<float>.Zero;
        var k = 0;
        for (; k + 16 <= columns; k += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(w + k), Vector512.Load(x + k), acc);
        return Finish(acc, w, x, k, columns);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(Vector512<float> acc, float* w, float* x, int k, int columns)
    {
        var sum = Vector512.Sum(acc);
        for (; k < columns; k++) sum = MathF.FusedMultiplyAdd(w[k], x[k], sum);
        return sum;
    }

    private static void Tile4x1(float** rows, float* x, int columns, float* y)
    {
        float* w0 = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var k = 0;
        for (; k + 16 <= columns; k += 16)
        {
            var xv = Vector512.Load(x + k);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + k), xv, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + k), xv, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + k), xv, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + k), xv, a3);
        }
        y[0] = Finish(a0, w0, x, k, columns);
        y[1] = Finish(a1, w1, x, k, columns);
        y[2] = Finish(a2, w2, x, k, columns);
        y[3] = Finish(a3, w3, x, k, columns);
    }

    /// <summary>As <see cref="Tile4x1"/> for four consecutive F16 rows, widening each 16 weights as they are loaded.</summary>
    private static void HalfTile4x1(ushort* w0, long rowStride, float* x, int columns, float* y)
    {
        if (!FastHalfTile4x1(w0, rowStride, x, columns, y)) ExactHalfTile4x1(w0, rowStride, x, columns, y);
    }

    /// <summary>Returns false, leaving y unspecified, when a weight is infinite or NaN.</summary>
    private static bool FastHalfTile4x1(ushort* w0, long rowStride, float* x, int columns, float* y)
    {
        ushort* w1 = w0 + rowStride, w2 = w1 + rowStride, w3 = w2 + rowStride;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        // Each lane holds the largest exponent-and-mantissa field seen, to spot infinities and NaNs after the loop.
        var largest = Vector512<uint>.Zero;
        var k = 0;
        for (; k + 16 <= columns; k += 16)
        {
            var xv = Vector512.Load(x + k);
            a0 = Vector512.FusedMultiplyAdd(Simd.WidenSixteenFiniteHalves(w0 + k, out var m0), xv, a0);
            a1 = Vector512.FusedMultiplyAdd(Simd.WidenSixteenFiniteHalves(w1 + k, out var m1), xv, a1);
            a2 = Vector512.FusedMultiplyAdd(Simd.WidenSixteenFiniteHalves(w2 + k, out var m2), xv, a2);
            a3 = Vector512.FusedMultiplyAdd(Simd.WidenSixteenFiniteHalves(w3 + k, out var m3), xv, a3);
            largest = Vector512.Max(Vector512.Max(largest, m0), Vector512.Max(Vector512.Max(m1, m2), m3));
        }
        if (Vector512.GreaterThanOrEqualAny(largest, Vector512.Create(Simd.HalfInfinityMagnitude))) return false;
        y[0] = FinishHalves(a0, w0, x, k, columns);
        y[1] = FinishHalves(a1, w1, x, k, columns);
        y[2] = FinishHalves(a2, w2, x, k, columns);
        y[3] = FinishHalves(a3, w3, x, k, columns);
        return true;
    }

    private static void ExactHalfTile4x1(ushort* w0, long rowStride, float* x, int columns, float* y)
    {
        for (var i = 0; i < RowsPerTile; i++)
        {
            var w = w0 + i * rowStride;
            var acc = Vector512<float>.Zero;
            var k = 0;
            for (; k + 16 <= columns; k += 16) acc = Vector512.FusedMultiplyAdd(Simd.WidenSixteenHalves(w + k), Vector512.Load(x + k), acc);
            y[i] = FinishHalves(acc, w, x, k, columns);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float FinishHalves(Vector512<float> acc, ushort* w, float* x, int k, int columns)
    {
        var sum = Vector512.Sum(acc);
        for (; k < columns; k++) sum = MathF.FusedMultiplyAdd((float)BitConverter.UInt16BitsToHalf(w[k]), x[k], sum);
        return sum;
    }

    private static void Tile4x4(float** rows, float* x, int columns, float* y, long yStride)
    {
        float* w0 = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
        float* x0 = x, x1 = x + columns, x2 = x + 2 * columns, x3 = x + 3 * columns;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        var k = 0;
        for (; k + 16 <= columns; k += 16)
        {
            var v0 = Vector512.Load(x0 + k);
            var v1 = Vector512.Load(x1 + k);
            var v2 = Vector512.Load(x2 + k);
            var v3 = Vector512.Load(x3 + k);
            var r = Vector512.Load(w0 + k);
            a00 = Vector512.FusedMultiplyAdd(r, v0, a00); a01 = Vector512.FusedMultiplyAdd(r, v1, a01);
            a02 = Vector512.FusedMultiplyAdd(r, v2, a02); a03 = Vector512.FusedMultiplyAdd(r, v3, a03);
            r = Vector512.Load(w1 + k);
            a10 = Vector512.FusedMultiplyAdd(r, v0, a10); a11 = Vector512.FusedMultiplyAdd(r, v1, a11);
            a12 = Vector512.FusedMultiplyAdd(r, v2, a12); a13 = Vector512.FusedMultiplyAdd(r, v3, a13);
            r = Vector512.Load(w2 + k);
            a20 = Vector512.FusedMultiplyAdd(r, v0, a20); a21 = Vector512.FusedMultiplyAdd(r, v1, a21);
            a22 = Vector512.FusedMultiplyAdd(r, v2, a22); a23 = Vector512.FusedMultiplyAdd(r, v3, a23);
            r = Vector512.Load(w3 + k);
            a30 = Vector512.FusedMultiplyAdd(r, v0, a30); a31 = Vector512.FusedMultiplyAdd(r, v1, a31);
            a32 = Vector512.FusedMultiplyAdd(r, v2, a32); a33 = Vector512.FusedMultiplyAdd(r, v3, a33);
        }
        y[0] = Finish(a00, w0, x0, k, columns); y[yStride] = Finish(a01, w0, x1, k, columns);
        y[2 * yStride] = Finish(a02, w0, x2, k, columns); y[3 * yStride] = Finish(a03, w0, x3, k, columns);
        y[1] = Finish(a10, w1, x0, k, columns); y[yStride + 1] = Finish(a11, w1, x1, k, columns);
        y[2 * yStride + 1] = Finish(a12, w1, x2, k, columns); y[3 * yStride + 1] = Finish(a13, w1, x3, k, columns);
        y[2] = Finish(a20, w2, x0, k, columns); y[yStride + 2] = Finish(a21, w2, x1, k, columns);
        y[2 * yStride + 2] = Finish(a22, w2, x2, k, columns); y[3 * yStride + 2] = Finish(a23, w2, x3, k, columns);
        y[3] = Finish(a30, w3, x0, k, columns); y[yStride + 3] = Finish(a31, w3, x1, k, columns);
        y[2 * yStride + 3] = Finish(a32, w3, x2, k, columns); y[3 * yStride + 3] = Finish(a33, w3, x3, k, columns);
    }
}
