using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Tests;

/// <summary>
/// The whole matrix product: every weight type, one thread and two, single activation rows and batches. A batch row
/// must come out bit-identical to the same row computed alone (continuous batching relies on it), and every result
/// must match the plain dot product of the decoded weights with the activations as the kernels see them.
/// </summary>
public sealed unsafe class MatMulTests
{
    public static TheoryData<GgmlType, int> TypesAndThreads()
    {
        var data = new TheoryData<GgmlType, int>();
        foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
            foreach (var threads in new[] { 1, 2 }) data.Add(type, threads);
        return data;
    }

    [Theory]
    [MemberData(nameof(TypesAndThreads))]
    public void Batched_rows_equal_single_rows_bit_for_bit_and_match_the_reference(GgmlType type, int threads) =>
        CheckBatchedAgainstSingle(type, threads, columns: 512);

    /// <summary>An odd number of 32-value blocks leaves the two-block kernels a lone block at the end (and F16 a tail of columns).</summary>
    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.F16)]
    public void Rows_with_an_odd_number_of_blocks(GgmlType type) => CheckBatchedAgainstSingle(type, threads: 1, columns: 5 * 32);

    /// <summary>Float rows may hold any number of values: the last few, short of a vector, are summed one at a time.</summary>
    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    public void Float_rows_with_columns_short_of_a_whole_vector(GgmlType type) => CheckBatchedAgainstSingle(type, threads: 1, columns: 5 * 32 + 3);

    private static void CheckBatchedAgainstSingle(GgmlType type, int threads, int columns)
    {
        // Float weights take 11, 14 and 18 activation rows as 4×3 tiles and a 4×2 (with AVX-512, paired 4×8 tiles
        // first: 8+3, 8+3+3, 8+8+2); quantized ones as groups of four and the rest alone. Four are a decode step of
        // four chats (F16 widens each weight once for all four, with AVX-512).
        foreach (var batch in new[] { 4, 11, 14, 18 }) CheckBatchedAgainstSingle(type, threads, columns, batch);
    }

    private static void CheckBatchedAgainstSingle(GgmlType type, int threads, int columns, int batch)
    {
        const int rows = 70;
        var random = new Random(31);
        var weights = Enumerable.Range(0, rows).SelectMany(_ => RandomRow(type, columns, random)).ToArray();
        var input = new ActivationBatch(columns, batch);
        KernelDotTests.RandomVector(batch * columns, random).CopyTo(input.Values, 0);
        using var pool = new ComputePool(threads);
        fixed (byte* data = weights)
        {
            var w = new WeightMatrix("test", type, data, rows, columns);
            AssertBatchedRowsEqualRowsAlone(new MatMul(pool), w, input, batch, (r, alone, single) =>
            {
                var decoded = new float[columns];
                RowDot.Decode(type, w.Row(r), decoded);
                var reference = Reference(type, decoded, single);
                Assert.Equal(reference, alone, Math.Abs(reference) * 2e-3 + 2e-3);
            });
        }
    }

    /// <summary>
    /// Multiplies all <paramref name="batch"/> rows of <paramref name="input"/> at once, then each row alone, and checks
    /// every output's bits agree; <paramref name="checkAlone"/> (weight row, output, the lone input) may check more.
    /// </summary>
    private static void AssertBatchedRowsEqualRowsAlone(MatMul matMul, WeightMatrix w, ActivationBatch input, int batch, Action<int, float, ActivationBatch>? checkAlone = null)
    {
        var together = new float[batch * w.Rows];
        var alone = new float[w.Rows];
        input.SetRows(batch);
        matMul.Multiply(w, input, together);
        var single = new ActivationBatch(w.Columns, 1);
        for (var b = 0; b < batch; b++)
        {
            input.Row(b).CopyTo(single.Row(0));
            single.SetRows(1);
            matMul.Multiply(w, single, alone);
            for (var r = 0; r < w.Rows; r++)
            {
                Assert.Equal(BitConverter.SingleToUInt32Bits(together[b * w.Rows + r]), BitConverter.SingleToUInt32Bits(alone[r]));
                checkAlone?.Invoke(r, alone[r], single);
            }
        }
    }

    [Fact]
    public void F16_infinities_and_NaNs_in_the_weights_are_not_lost()
    {
        const int rows = 4, columns = 64;
        var halves = new Half[rows * columns];
        for (var i = 0; i < halves.Length; i++) halves[i] = (Half)0.5f;
        halves[5] = Half.PositiveInfinity;
        halves[columns + 7] = Half.NaN;
        var input = new ActivationBatch(columns, 1);
        input.Values.AsSpan().Fill(1f);
        input.SetRows(1);
        using var pool = new ComputePool(1);
        var output = new float[rows];
        fixed (Half* data = halves)
            new MatMul(pool).Multiply(new WeightMatrix("test", GgmlType.F16, (byte*)data, rows, columns), input, output);
        Assert.Equal(float.PositiveInfinity, output[0]);
        Assert.True(float.IsNaN(output[1]));
        Assert.Equal(32f, output[2]);
        Assert.Equal(32f, output[3]);
    }

    /// <summary>
    /// Decoding takes F16's in-register shortcut (weights 2¹¹² times smaller, activations 2¹¹² times larger), prompts the
    /// exact widening: with subnormal, tiny and large weights and activations, both must give the same bits.
    /// </summary>
    /// <remarks>
    /// Five rows together take the exact widening (more than decoding widens in registers), four the four-chat tile
    /// (with AVX-512); each alone, the shortcut. Subnormals everywhere, in two runs of 32 only (so the kernels guarding
    /// against subnormal stalls, on Intel, mix guarded and plain runs within a tile), or nowhere (no guard). Bits
    /// cannot show a wrong guard, whose products are the same either way; the run map is checked on its own below.
    /// </remarks>
    [Theory]
    [InlineData(5, Subnormals.Everywhere)]
    [InlineData(4, Subnormals.Everywhere)]
    [InlineData(4, Subnormals.InTwoRuns)]
    [InlineData(4, Subnormals.None)]
    public void F16_decode_shortcut_gives_the_bits_of_exact_widening_at_the_extremes(int batch, Subnormals subnormals)
    {
        const int rows = 8, columns = 104;
        var random = new Random(5);
        var halves = new Half[rows * columns];
        for (var i = 0; i < halves.Length; i++)
            halves[i] = (i % 4) switch
            {
                0 when subnormals == Subnormals.Everywhere || (subnormals == Subnormals.InTwoRuns && i is 2 * columns + 40 or 5 * columns + 64) =>
                    BitConverter.UInt16BitsToHalf((ushort)(random.Next(1, 1024) | (random.Next(2) << 15))),
                0 or 1 => (Half)((random.NextDouble() - 0.5) * 60000),
                // Small weights, kept above fp16's smallest normal (2⁻¹⁴ ≈ 6.1e-5) where none may be subnormal.
                _ when subnormals == Subnormals.None => (Half)((random.Next(2) * 2 - 1) * (1e-4 + random.NextDouble() * 5e-4)),
                _ => (Half)((random.NextDouble() - 0.5) * 1e-3),
            };
        var input = new ActivationBatch(columns, batch);
        for (var i = 0; i < input.Values.Length; i++) input.Values[i] = (float)((random.NextDouble() - 0.5) * (i % 3 == 0 ? 60000 : 1e-4));
        using var pool = new ComputePool(1);
        fixed (Half* data = halves)
        {
            var w = new WeightMatrix("test", GgmlType.F16, (byte*)data, rows, columns);
            Assert.True(w.HalvesAllFinite);
            Assert.Equal(subnormals != Subnormals.None, w.HasSubnormalHalves);
            AssertBatchedRowsEqualRowsAlone(new MatMul(pool), w, input, batch);
        }
    }

    public enum Subnormals { Everywhere, InTwoRuns, None }

    [Fact]
    public void A_matrix_marks_the_runs_of_32_halves_that_hold_a_subnormal_where_they_stall()
    {
        // Three rows of 70 halves: runs 0–31, 32–63 and a short 64–69, three bits a row.
        const int rows = 3, columns = 70, linesPerRow = 3;
        var halves = new Half[rows * columns];
        halves.AsSpan().Fill((Half)0.25f);
        halves[0 * columns + 33] = Half.Epsilon;
        halves[2 * columns + 0] = -Half.Epsilon;
        halves[2 * columns + 69] = BitConverter.UInt16BitsToHalf(0x03FF); // the largest subnormal
        halves[1 * columns + 5] = BitConverter.UInt16BitsToHalf(0x0400); // the smallest normal: not marked
        fixed (Half* data = halves)
        {
            var w = new WeightMatrix("test", GgmlType.F16, (byte*)data, rows, columns);
            if (!Simd.IsIntel)
            {
                Assert.Null(w.SubnormalLines);
                return;
            }
            var marked = Enumerable.Range(0, rows * linesPerRow).Where(bit => (w.SubnormalLines![bit / 64] & (1UL << (bit % 64))) != 0);
            Assert.Equal([0 * linesPerRow + 1, 2 * linesPerRow + 0, 2 * linesPerRow + 2], marked);
            halves[0 * columns + 33] = halves[2 * columns] = halves[2 * columns + 69] = default;
            Assert.Null(new WeightMatrix("test", GgmlType.F16, (byte*)data, rows, columns).SubnormalLines);
        }
    }

    [Fact]
    public void A_matrix_knows_whether_it_holds_subnormal_halves()
    {
        var halves = new Half[40];
        fixed (Half* data = halves)
        {
            halves[0] = BitConverter.UInt16BitsToHalf(0x0400); // the smallest normal
            halves[1] = BitConverter.UInt16BitsToHalf(0x8400);
            halves[2] = (Half)1.5f;
            Assert.False(new WeightMatrix("test", GgmlType.F16, (byte*)data, 2, 20).HasSubnormalHalves);
            halves[37] = Half.Epsilon;
            Assert.True(new WeightMatrix("test", GgmlType.F16, (byte*)data, 2, 20).HasSubnormalHalves);
            halves[37] = default;
            halves[5] = -Half.Epsilon;
            Assert.True(new WeightMatrix("test", GgmlType.F16, (byte*)data, 2, 20).HasSubnormalHalves);
            Assert.False(new WeightMatrix("test", GgmlType.F32, (byte*)data, 1, 20).HasSubnormalHalves);
        }
    }

    [Fact]
    public void A_matrix_knows_whether_its_halves_are_all_finite()
    {
        var halves = new Half[40];
        fixed (Half* data = halves)
        {
            Assert.True(new WeightMatrix("test", GgmlType.F16, (byte*)data, 2, 20).HalvesAllFinite);
            halves[37] = Half.NegativeInfinity;
            Assert.False(new WeightMatrix("test", GgmlType.F16, (byte*)data, 2, 20).HalvesAllFinite);
            halves[37] = Half.NaN;
            halves[3] = Half.NaN;
            Assert.False(new WeightMatrix("test", GgmlType.F16, (byte*)data, 2, 20).HalvesAllFinite);
        }
    }

    /// <summary>The activations as the weight type's kernel sees them: quantized, or rounded to the weight's float precision.</summary>
    private static double Reference(GgmlType type, float[] decoded, ActivationBatch single)
    {
        var x = single.Row(0).ToArray();
        if (QuantizedActivations.FormatFor(type) is { } format)
        {
            var q = single.Quantized(format);
            for (var i = 0; i < x.Length; i++) x[i] = q.Quants[i] * q.Scales[i / q.BlockSize];
        }
        else if (type == GgmlType.F16) MatMul.RoundToHalf(x);
        else if (type == GgmlType.BF16) MatMul.RoundToBFloat16(x);
        double sum = 0;
        for (var i = 0; i < x.Length; i++) sum += (double)decoded[i] * x[i];
        return sum;
    }

    private static byte[] RandomRow(GgmlType type, int columns, Random random) => type switch
    {
        GgmlType.F32 => KernelDotTests.RandomVector(columns, random).SelectMany(BitConverter.GetBytes).ToArray(),
        GgmlType.F16 => KernelDotTests.RandomVector(columns, random).SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray(),
        GgmlType.BF16 => KernelDotTests.RandomVector(columns, random).SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray(),
        _ => KernelDotTests.RandomRow(type, columns, random),
    };
}
