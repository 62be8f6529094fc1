using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Tests;

/// <summary>The vector activation quantizers against the scalar reference, bit for bit.</summary>
public sealed class ActivationQuantizerTests
{
    /// <summary>Rows that exercise the edge cases: an all-zero block, a tie between +max and −max, exact halves, huge and tiny values.</summary>
    private static float[] Rows(int length, int rows, int seed)
    {
        var random = new Random(seed);
        var values = new float[length * rows];
        for (var i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-3, 3)));
        Array.Clear(values, 0, 256);
        values[300] = 5f;
        values[301] = -5f;
        for (var i = 512; i < 768; i++) values[i] = (i % 9 - 4) * 0.5f * 127;
        values[1000] = 1e30f;
        return values;
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q8_K)]
    public void Vector_quantization_matches_the_scalar_reference(GgmlType format)
    {
        Assert.SkipUnless(ActivationQuantizer.IsAccelerated, "the vector quantizers need AVX2");
        const int length = 2048, rows = 3;
        var values = Rows(length, rows, seed: 7);
        var quantized = new QuantizedActivations(format, length, rows);
        quantized.Quantize(values);

        var block = quantized.BlockSize;
        var quants = new sbyte[block];
        var sums = new short[16];
        for (var index = 0; index < length * rows / block; index++)
        {
            var x = values.AsSpan(index * block, block);
            var scale = format == GgmlType.Q8_0 ? QuantizedActivations.QuantizeQ8_0(x, quants) : QuantizedActivations.QuantizeQ8_K(x, quants, sums);
            Assert.Equal(BitConverter.SingleToInt32Bits(scale), BitConverter.SingleToInt32Bits(quantized.Scales[index]));
            Assert.Equal(quants, quantized.Quants.Slice(index * block, block).ToArray());
            if (format == GgmlType.Q8_K) Assert.Equal(sums, quantized.GroupSums.Slice(index * 16, 16).ToArray());
        }
    }

    [Fact]
    public void Q8_K_maps_the_first_value_of_largest_magnitude_to_minus_127()
    {
        var values = new float[256];
        values[10] = -3f;
        values[20] = 3f;
        var quantized = new QuantizedActivations(GgmlType.Q8_K, 256, 1);
        quantized.Quantize(values);
        Assert.Equal(-127, quantized.Quants[10]);
        Assert.Equal(127, quantized.Quants[20]);
        Assert.Equal(3f / 127, quantized.Scales[0], 6);
    }

    [Theory]
    [InlineData(2048)]
    [InlineData(2080)]
    public void Wide_quants_are_the_byte_quants_as_int16s_in_block_pairs_where_the_machine_keeps_them(int length)
    {
        const int rows = 3;
        var quantized = new QuantizedActivations(GgmlType.Q8_0, length, rows);
        quantized.Quantize(Rows(length, rows, seed: 5));
        if (!QuantizedDot.Q8_0TakesWideActivations)
        {
            Assert.Equal(0, quantized.WideQuants.Length);
            Assert.Equal(0, quantized.ScalePairs.Length);
            return;
        }
        var quants = quantized.Quants.ToArray();
        var scales = quantized.Scales.ToArray();
        var blocks = length / 32;
        for (var row = 0; row < rows; row++)
        {
            var rowQuants = quants.AsSpan(row * length, length);
            var wide = quantized.WideQuants.Slice(row * length, length).ToArray();
            var expected = new short[length];
            // Pairs of blocks a, b interleave in runs of eight: a0–7 b0–7 a8–15 b8–15 …; an unpaired last block stays in order.
            for (var pair = 0; pair < blocks / 2; pair++)
                for (var run = 0; run < 4; run++)
                    for (var k = 0; k < 8; k++)
                    {
                        expected[pair * 64 + run * 16 + k] = rowQuants[pair * 64 + run * 8 + k];
                        expected[pair * 64 + run * 16 + 8 + k] = rowQuants[pair * 64 + 32 + run * 8 + k];
                    }
            for (var i = blocks / 2 * 64; i < length; i++) expected[i] = rowQuants[i];
            Assert.Equal(expected, wide);
            var scalePairs = quantized.ScalePairs.Slice(row * (blocks / 2) * 8, blocks / 2 * 8).ToArray();
            for (var pair = 0; pair < blocks / 2; pair++)
                for (var lane = 0; lane < 8; lane++)
                    Assert.Equal(scales[row * blocks + 2 * pair + lane / 4], scalePairs[pair * 8 + lane]);
        }
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q8_K)]
    public unsafe void Every_row_starts_on_a_cache_line(GgmlType format)
    {
        // The kernels' 32-byte loads split cache lines from a misaligned row, which cost the four-row int16 Q8_0 kernel 10%.
        var quantized = new QuantizedActivations(format, 2048, 5);
        for (var row = 0; row < 5; row++)
        {
            Assert.Equal(0, (long)quantized.QuantsOf(row) % 64);
            Assert.Equal(0, (long)quantized.ScalesOf(row) % 32);
            if (format == GgmlType.Q8_K) Assert.Equal(0, (long)quantized.GroupSumsOf(row) % 64);
            if (quantized.WideQuants.Length > 0) Assert.Equal(0, (long)quantized.WideQuantsOf(row) % 64);
            if (quantized.ScalePairs.Length > 0) Assert.Equal(0, (long)quantized.ScalePairsOf(row) % 32);
        }
    }

    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    public unsafe void Rounded_rows_for_the_float_tiles_start_on_a_cache_line(GgmlType weightType)
    {
        var batch = new ActivationBatch(2048, 3);
        batch.SetRows(3);
        Assert.Equal(0, (long)batch.RoundedFor(weightType) % 64);
    }
}
