using System.Runtime.Intrinsics;
using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Tests;

/// <summary>
/// Where this runtime rounds each float as llama.cpp does, so that its outputs are llama.cpp's bits and not merely
/// close: the references below follow ggml's code (ggml-cpu-quants.c, ggml-cpu.c at c392e50), step by step.
/// </summary>
public sealed unsafe class GgmlRoundingTests
{
    [Fact]
    public void Sums_of_eight_and_four_floats_add_in_the_order_of_ggml_hsum_float_8()
    {
        var random = new Random(5);
        var differsFromVectorSum = 0;
        for (var trial = 0; trial < 2000; trial++)
        {
            var a = Enumerable.Range(0, 8).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(0, 6)))).ToArray();
            var v = Vector256.Create(a);
            Assert.Equal(((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])), Simd.SumInGgmlOrder(v));
            Assert.Equal((a[0] + a[2]) + (a[1] + a[3]), Simd.SumInGgmlOrder(v.GetLower()));
            if (Simd.SumInGgmlOrder(v) != Vector256.Sum(v)) differsFromVectorSum++;
        }
        // The values are spread widely enough that the order shows in the result.
        Assert.True(differsFromVectorSum > 100, $"only {differsFromVectorSum} of 2000 sums depend on the order");
    }

    [Theory]
    [InlineData(GgmlType.Q4_K, 1)]
    [InlineData(GgmlType.Q4_K, 5)]
    [InlineData(GgmlType.Q4_K, 9)]
    [InlineData(GgmlType.Q5_K, 1)]
    [InlineData(GgmlType.Q5_K, 6)]
    public void Q4_K_and_Q5_K_dots_are_the_bits_of_ggml_vec_dot(GgmlType type, int rows)
    {
        if (!Simd.IsAccelerated) Assert.Skip("without AVX2 and FMA the portable reference kernel runs, which sums in its own order");
        var random = new Random(41 + rows);
        const int columns = 2048;
        var weights = KernelDotTests.RandomRow(type, columns, random);
        // Room for more rows than are filled, as in a batch that is not full.
        var activations = new QuantizedActivations(GgmlType.Q8_K, columns, rows + 3);
        activations.Quantize(KernelDotTests.RandomVector(rows * columns, random), rows);
        var together = new float[rows];
        fixed (byte* row = weights)
        fixed (float* y = together)
        {
            QuantizedDot.DotRows(type, row, activations, 0, rows, y, 1);
            for (var b = 0; b < rows; b++)
            {
                var expected = GgmlQ4_KOrQ5_KDot(weights, activations, b, fifthBit: type == GgmlType.Q5_K);
                Assert.Equal(expected, QuantizedDot.Dot(type, row, activations, b));
                Assert.Equal(expected, together[b]);
            }
        }
    }

    /// <summary>
    /// ggml's AVX2 Q4_K and Q5_K kernels in scalar form. Integer lane k of a super-block holds Σ over the four runs of
    /// scale·(4 products of bytes 4k…4k+3) for the low and the high sub-block; the float lanes take one fused
    /// multiply-add per super-block. Q4_K's mins go into four lanes of their own, lane j for sub-blocks 2j and 2j+1;
    /// Q5_K's into one float ("summs += dmin * sum", fused by GCC).
    /// </summary>
    private static float GgmlQ4_KOrQ5_KDot(byte[] weights, QuantizedActivations x, int activationRow, bool fifthBit)
    {
        var blockBytes = fifthBit ? 176 : 144;
        var nibbles = fifthBit ? 48 : 16;
        var quants = new ReadOnlySpan<sbyte>(x.QuantsOf(activationRow), x.Length);
        var scales = x.ScalesOf(activationRow);
        var groupSums = x.GroupSumsOf(activationRow);
        var acc = new float[8];
        var minAcc = new float[4];
        var minSum = 0f;
        for (var block = 0; block < x.Length / 256; block++)
        {
            var w = weights.AsSpan(block * blockBytes, blockBytes);
            var (scale, min) = ScalesAndMins(w.Slice(4, 12));
            var lanes = new int[8];
            for (var run = 0; run < 4; run++)
                for (var i = 0; i < 32; i++)
                {
                    var packed = w[nibbles + 32 * run + i];
                    int low = packed & 0x0F, high = packed >> 4;
                    if (fifthBit)
                    {
                        low |= (w[16 + i] >> (2 * run) & 1) << 4;
                        high |= (w[16 + i] >> (2 * run + 1) & 1) << 4;
                    }
                    lanes[i / 4] += scale[2 * run] * low * quants[block * 256 + 64 * run + i]
                        + scale[2 * run + 1] * high * quants[block * 256 + 64 * run + 32 + i];
                }
            var d = scales[block] * (float)BitConverter.ToHalf(w[..2]);
            var dmin = -scales[block] * (float)BitConverter.ToHalf(w.Slice(2, 2));
            for (var k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lanes[k], acc[k]);
            int Sum(int sub) => groupSums[block * 16 + 2 * sub] + groupSums[block * 16 + 2 * sub + 1];
            for (var j = 0; j < 4; j++)
                minAcc[j] = MathF.FusedMultiplyAdd(dmin, min[2 * j] * Sum(2 * j) + min[2 * j + 1] * Sum(2 * j + 1), minAcc[j]);
            minSum = MathF.FusedMultiplyAdd(dmin, Enumerable.Range(0, 8).Sum(sub => min[sub] * Sum(sub)), minSum);
        }
        var eight = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
        return eight + (fifthBit ? minSum : (minAcc[0] + minAcc[2]) + (minAcc[1] + minAcc[3]));
    }

    /// <summary>ggml's get_scale_min_k4 for the eight sub-blocks.</summary>
    private static (int[] Scale, int[] Min) ScalesAndMins(ReadOnlySpan<byte> q)
    {
        int[] scale = new int[8], min = new int[8];
        for (var j = 0; j < 8; j++)
        {
            if (j < 4) (scale[j], min[j]) = (q[j] & 63, q[j + 4] & 63);
            else (scale[j], min[j]) = ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));
        }
        return (scale, min);
    }

    [Fact]
    public void Rope_rotates_with_the_fused_multiply_adds_ggml_is_compiled_to()
    {
        // ggml's rope loop, x0·cos − x1·sin and x0·sin + x1·cos, is built with -std=gnu11, so GCC fuses one product of
        // each into a multiply-add (the oracle's Q and K match that, not the separately rounded form).
        var random = new Random(8);
        var head = KernelDotTests.RandomVector(64, random);
        var table = new RopeTable(16, 64, 10000f, 1f, []);
        foreach (var adjacent in new[] { true, false })
        {
            var rotated = head.ToArray();
            Ops.Rope(rotated, 64, table.Cos(11), table.Sin(11), adjacent);
            var differsFromUnfused = false;
            for (var i = 0; i < 32; i++)
            {
                int a = adjacent ? 2 * i : i, b = adjacent ? 2 * i + 1 : i + 32;
                float x0 = head[a], x1 = head[b], cos = table.Cos(11)[i], sin = table.Sin(11)[i];
                Assert.Equal(MathF.FusedMultiplyAdd(x0, cos, -(x1 * sin)), rotated[a]);
                Assert.Equal(MathF.FusedMultiplyAdd(x0, sin, x1 * cos), rotated[b]);
                differsFromUnfused |= rotated[a] != x0 * cos - x1 * sin || rotated[b] != x0 * sin + x1 * cos;
            }
            Assert.True(differsFromUnfused, "the values chosen do not tell the fused form from the unfused one");
        }
    }
}
