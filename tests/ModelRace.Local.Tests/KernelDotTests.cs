using System.Runtime.Intrinsics;
using System.Buffers.Binary;
using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Tests;

/// <summary>
/// Each fused kernel against a plain reference: decode the weight block to floats, then an ordinary dot product.
/// Weight blocks are random bytes with their fp16 scale fields set to sane values.
/// </summary>
public sealed unsafe class KernelDotTests
{
    public static TheoryData<GgmlType> QuantTypes => new() { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K };

    internal static byte[] RandomRow(GgmlType type, int columns, Random random)
    {
        var blockBytes = GgmlTypeInfo.BlockBytes(type);
        var blocks = columns / GgmlTypeInfo.BlockSize(type);
        var row = new byte[blocks * blockBytes];
        random.NextBytes(row);
        for (var b = 0; b < blocks; b++)
        {
            var block = row.AsSpan(b * blockBytes, blockBytes);
            Half Scale() => (Half)(0.001 + random.NextDouble() * 0.05);
            switch (type)
            {
                case GgmlType.Q6_K: BinaryPrimitives.WriteHalfLittleEndian(block[208..], Scale()); break;
                case GgmlType.Q4_K or GgmlType.Q5_K:
                    BinaryPrimitives.WriteHalfLittleEndian(block, Scale());
                    BinaryPrimitives.WriteHalfLittleEndian(block[2..], Scale());
                    break;
                default: BinaryPrimitives.WriteHalfLittleEndian(block, Scale()); break;
            }
        }
        return row;
    }

    internal static float[] RandomVector(int length, Random random) =>
        Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();

    private static double ReferenceDot(GgmlType type, byte[] row, ReadOnlySpan<float> x)
    {
        var weights = new float[x.Length];
        fixed (byte* p = row) RowDot.Decode(type, p, weights);
        double sum = 0;
        for (var i = 0; i < x.Length; i++) sum += (double)weights[i] * x[i];
        return sum;
    }

    [Theory]
    [MemberData(nameof(QuantTypes))]
    public void Block_decoders_agree_with_the_reference_dequantizer(GgmlType type)
    {
        var random = new Random(2);
        var row = RandomRow(type, 512, random);
        var mine = new float[512];
        var reference = new float[512];
        fixed (byte* p = row) RowDot.Decode(type, p, mine);
        ModelRace.Local.Tensors.Dequantize.Row(type, row, reference);
        Assert.Equal(reference, mine);
    }

    [Theory]
    [MemberData(nameof(QuantTypes))]
    public void Float_activation_dot_matches_decode_then_dot(GgmlType type)
    {
        var random = new Random(7);
        var row = RandomRow(type, 512, random);
        var x = RandomVector(512, random);
        fixed (byte* p = row)
        {
            var fused = RowDot.Dot(type, p, x);
            Assert.Equal(ReferenceDot(type, row, x), fused, 1e-3);
        }
    }

    [Theory]
    [MemberData(nameof(QuantTypes))]
    public void Integer_dot_equals_the_dot_of_dequantized_weights_and_dequantized_activations(GgmlType type)
    {
        var random = new Random(11);
        const int columns = 512;
        var row = RandomRow(type, columns, random);
        var x = RandomVector(columns, random);
        var format = QuantizedActivations.FormatFor(type)!.Value;
        var activations = new QuantizedActivations(format, columns, batch: 1);
        activations.Quantize(x);
        var dequantizedActivations = new float[columns];
        for (var i = 0; i < columns; i++) dequantizedActivations[i] = activations.Quants[i] * activations.Scales[i / activations.BlockSize];
        // The quantized activations stay close to the originals…
        for (var i = 0; i < columns; i++) Assert.True(Math.Abs(dequantizedActivations[i] - x[i]) <= 2.0 / 127 * 0.51 + 1e-3, $"value {i}");
        fixed (byte* p = row)
        {
            var integer = QuantizedDot.Dot(type, p, activations, 0);
            // …and the integer kernel computes exactly their dot with the decoded weights (up to float rounding).
            Assert.Equal(ReferenceDot(type, row, dequantizedActivations), integer, 2e-3);
        }
    }

    [Fact]
    public void Q8_K_group_sums_are_the_sums_of_each_sixteen_quants()
    {
        var random = new Random(3);
        var activations = new QuantizedActivations(GgmlType.Q8_K, 256, batch: 2);
        activations.Quantize(RandomVector(512, random));
        for (var g = 0; g < 32; g++)
            Assert.Equal(activations.Quants.ToArray().Skip(g * 16).Take(16).Sum(q => q), activations.GroupSums[g]);
        // The value of largest magnitude maps to ±127 exactly.
        Assert.Equal(127, activations.Quants.ToArray().Take(256).Max(q => Math.Abs((int)q)));
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    public void Float_types_dot_matches_reference(GgmlType type)
    {
        var random = new Random(5);
        var values = RandomVector(300, random);
        var row = type switch
        {
            GgmlType.F32 => values.SelectMany(BitConverter.GetBytes).ToArray(),
            GgmlType.F16 => values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray(),
            _ => values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray(),
        };
        var x = RandomVector(300, random);
        fixed (byte* p = row) Assert.Equal(ReferenceDot(type, row, x), RowDot.Dot(type, p, x), 1e-3);
    }

    [Fact]
    public void Int8Dot_matches_scalar_on_every_length()
    {
        var random = new Random(1);
        for (var n = 0; n < 70; n++)
        {
            var a = Enumerable.Range(0, n).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
            var b = Enumerable.Range(0, n).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
            Assert.Equal(a.Zip(b).Sum(p => p.First * p.Second), QuantizedDot.Int8Dot(a, b));
        }
    }

    [Theory]
    [MemberData(nameof(QuantTypes))]
    public void Vector_kernels_agree_with_the_scalar_kernel(GgmlType type)
    {
        var random = new Random(17);
        const int columns = 2048;
        var row = RandomRow(type, columns, random);
        var activations = new QuantizedActivations(QuantizedActivations.FormatFor(type)!.Value, columns, batch: 3);
        activations.Quantize(RandomVector(3 * columns, random));
        fixed (byte* p = row)
        {
            for (var b = 0; b < 3; b++)
            {
                var scalar = QuantizedDot.ScalarDot(type, p, activations, b);
                // The integer sums are exact either way; only the float accumulation order differs.
                Assert.Equal(scalar, QuantizedDot.Dot(type, p, activations, b), Math.Abs(scalar) * 1e-5 + 1e-4);
            }
        }
    }

    [Theory]
    [InlineData(96)]
    [InlineData(2080)]
    public void Q8_0_rows_with_an_odd_number_of_blocks_agree_with_the_scalar_kernel_in_every_batch(int columns)
    {
        // The int16 kernels take blocks in pairs; a row's last, unpaired block takes its own step.
        var random = new Random(29);
        const int batch = 5;
        var row = RandomRow(GgmlType.Q8_0, columns, random);
        var activations = new QuantizedActivations(GgmlType.Q8_0, columns, batch);
        activations.Quantize(RandomVector(batch * columns, random));
        var together = new float[batch];
        fixed (byte* p = row)
        fixed (float* y = together)
        {
            QuantizedDot.DotRows(GgmlType.Q8_0, p, activations, 0, batch, y, 1);
            for (var b = 0; b < batch; b++)
            {
                var scalar = QuantizedDot.ScalarDot(GgmlType.Q8_0, p, activations, b);
                Assert.Equal(scalar, QuantizedDot.Dot(GgmlType.Q8_0, p, activations, b), Math.Abs(scalar) * 1e-5 + 1e-4);
                Assert.Equal(QuantizedDot.Dot(GgmlType.Q8_0, p, activations, b), together[b]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(QuantTypes))]
    public void A_row_gives_the_same_bits_whatever_batch_it_is_computed_in(GgmlType type)
    {
        var random = new Random(23);
        const int columns = 512, batch = 9;
        var row = RandomRow(type, columns, random);
        var activations = new QuantizedActivations(QuantizedActivations.FormatFor(type)!.Value, columns, batch);
        activations.Quantize(RandomVector(batch * columns, random));
        var together = new float[batch * 2];
        fixed (byte* p = row)
        fixed (float* y = together)
        {
            QuantizedDot.DotRows(type, p, activations, 0, batch, y, 2);
            for (var b = 0; b < batch; b++) Assert.Equal(QuantizedDot.Dot(type, p, activations, b), together[b * 2]);
        }
    }

    [Theory]
    [InlineData(-128)]
    [InlineData(127)]
    [InlineData(-127)]
    public void Q8_0_four_row_kernel_is_exact_where_weights_and_activations_are_at_their_extremes(int weight)
    {
        // Activations of ±127/128 quantize to ±127 with a scale of 1/128; against weights of −128 the offset kernel's
        // sums reach their largest magnitude, where an offset or sign slip would show. With power-of-two scales and
        // sums below 2²⁴ every float step is exact, so the result is known to the bit. 17 blocks: an odd one is left.
        const int columns = 544, batch = 4;
        var row = new byte[columns / 32 * 34];
        for (var b = 0; b < columns / 32; b++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(row.AsSpan(b * 34), (Half)0.0625);
            row.AsSpan(b * 34 + 2, 32).Fill(unchecked((byte)(sbyte)weight));
        }
        var values = new float[batch * columns];
        for (var i = 0; i < values.Length; i++)
            values[i] = 127f / 128 * ((i / columns) switch { 0 => 1, 1 => -1, 2 => i % 2 == 0 ? 1 : -1, _ => i % 3 == 0 ? -1 : 1 });
        var activations = new QuantizedActivations(GgmlType.Q8_0, columns, batch);
        activations.Quantize(values);
        var together = new float[batch];
        fixed (byte* p = row)
        fixed (float* y = together)
        {
            QuantizedDot.DotRows(GgmlType.Q8_0, p, activations, 0, batch, y, 1);
            for (var b = 0; b < batch; b++)
            {
                var quantSum = 0L;
                for (var i = 0; i < columns; i++) quantSum += activations.QuantsOf(b)[i];
                Assert.Equal(1f / 128, activations.ScalesOf(b)[0]);
                Assert.Equal((float)(weight * quantSum / 2048.0), together[b]);
                Assert.Equal(QuantizedDot.ScalarDot(GgmlType.Q8_0, p, activations, b), together[b]);
            }
        }
    }

    [Fact]
    public void Offset_activations_are_the_quants_plus_128_where_the_four_row_Q8_0_kernel_reads_them()
    {
        if (!QuantizedDot.Q8_0TakesOffsetActivations) Assert.Skip("this machine has no VNNI, so the four-row Q8_0 kernel reads signed quants");
        const int columns = 96, batch = 3;
        var activations = new QuantizedActivations(GgmlType.Q8_0, columns, batch);
        activations.Quantize(RandomVector(batch * columns, new Random(41)));
        for (var b = 0; b < batch; b++)
            for (var i = 0; i < columns; i++)
                Assert.Equal(activations.QuantsOf(b)[i] + 128, activations.OffsetQuantsOf(b)[i]);
    }

    [Fact]
    public void Widening_halves_is_exact_for_every_fp16_value()
    {
        var all = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var widened = new float[all.Length];
        var widenedByEight = new float[all.Length];
        fixed (ushort* source = all)
        fixed (float* destination = widened)
        fixed (float* byEight = widenedByEight)
        {
            Simd.WidenHalves(source, destination, all.Length);
            // The 256-bit form, which machines without AVX-512 run.
            for (var i = 0; i < all.Length; i += 8) Simd.WidenEightHalves(source + i).Store(byEight + i);
        }
        Assert.Equal(widened.Select(BitConverter.SingleToUInt32Bits), widenedByEight.Select(BitConverter.SingleToUInt32Bits));
        for (var i = 0; i < all.Length; i++)
        {
            var expected = (float)BitConverter.UInt16BitsToHalf(all[i]);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(widened[i]), $"0x{i:X4} is NaN");
            else Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(widened[i]), $"0x{i:X4}: {widened[i]} instead of {expected}");
        }
    }

    [Fact]
    public void IsIntelAgreesWithProcCpuInfo()
    {
        if (!OperatingSystem.IsLinux() || !System.Runtime.Intrinsics.X86.X86Base.IsSupported) return;
        var vendor = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("vendor_id", StringComparison.Ordinal));
        if (vendor is null) return;
        Assert.Equal(vendor.EndsWith("GenuineIntel", StringComparison.Ordinal), Simd.IsIntel);
    }
}
