using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ModelRace.Local.Gguf;
using ModelRace.Local.Tensors;

namespace ModelRace.Local.Tests;

public class QuantRoundTripTests
{
    /// <summary>
    /// Relative RMS error of dequantize(quantize(x)) on Gaussian data. The bounds sit a little above what
    /// llama.cpp's own quantizers reach on such data (e.g. Q8_0 ≈ 0.0055, Q4_0 ≈ 0.087, Q4_K ≈ 0.072, Q6_K ≈ 0.018).
    /// </summary>
    public static TheoryData<GgmlType, double> Bounds => new()
    {
        { GgmlType.F32, 0 },
        { GgmlType.F16, 0.001 },
        { GgmlType.BF16, 0.005 },
        { GgmlType.Q8_0, 0.008 },
        { GgmlType.Q4_0, 0.10 },
        { GgmlType.Q5_0, 0.05 },
        { GgmlType.Q4_K, 0.085 },
        { GgmlType.Q5_K, 0.045 },
        { GgmlType.Q6_K, 0.025 },
    };

    private static float[] Gaussian(int count, int seed, float scale = 0.02f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
            values[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return values;
    }

    private static float[] RoundTrip(GgmlType type, float[] values)
    {
        var bytes = new byte[GgmlTypeInfo.RowBytes(type, values.Length)];
        Assert.Equal(bytes.Length, Quantize.Row(type, values, bytes));
        var back = new float[values.Length];
        Dequantize.Row(type, bytes, back);
        return back;
    }

    internal static double RelativeRms(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double error = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            error += (expected[i] - actual[i]) * (double)(expected[i] - actual[i]);
            norm += expected[i] * (double)expected[i];
        }
        return norm == 0 ? Math.Sqrt(error) : Math.Sqrt(error / norm);
    }

    [Theory]
    [MemberData(nameof(Bounds))]
    public void Round_trip_error_stays_within_the_type_bound(GgmlType type, double bound)
    {
        Assert.True(Quantize.IsSupported(type) && Dequantize.IsSupported(type));
        var values = Gaussian(256 * 64, seed: (int)type);
        var error = RelativeRms(values, RoundTrip(type, values));
        Assert.True(error <= bound, $"{type}: relative RMS error {error:F5} exceeds {bound}");
        if (type != GgmlType.F32) Assert.True(error > bound / 20, $"{type}: error {error:F6} is suspiciously small for a lossy type");
    }

    [Theory]
    [MemberData(nameof(Bounds))]
    public void Zeros_constants_and_outliers_survive(GgmlType type, double bound)
    {
        var zeros = new float[512];
        Assert.All(RoundTrip(type, zeros), v => Assert.Equal(0f, v));

        var constant = Enumerable.Repeat(-0.75f, 512).ToArray();
        Assert.True(RelativeRms(constant, RoundTrip(type, constant)) <= Math.Max(bound, 0.01), $"{type}: constant block");

        // One large value in a block of small ones: the large one must come back close; the rest may flush to zero.
        var outlier = Gaussian(512, seed: 3, scale: 0.001f);
        outlier[100] = 5f;
        var back = RoundTrip(type, outlier);
        Assert.InRange(back[100], 5f * (1 - Math.Max(bound, 0.01)), 5f * (1 + Math.Max(bound, 0.01)));
    }

    [Fact]
    public void Unsupported_types_and_short_buffers_are_refused()
    {
        Assert.Throws<NotSupportedException>(() => Quantize.Row(GgmlType.Q2_K, new float[256], new byte[256]));
        Assert.Throws<NotSupportedException>(() => Dequantize.Row(GgmlType.Q2_K, new byte[84], new float[256]));
        Assert.Throws<ArgumentException>(() => Quantize.Row(GgmlType.Q8_0, new float[32], new byte[33]));
        Assert.Throws<ArgumentException>(() => Dequantize.Row(GgmlType.Q4_K, new byte[143], new float[256]));
        Assert.Throws<GgufFormatException>(() => Dequantize.Row(GgmlType.Q4_K, new byte[144], new float[255]));
        Assert.False(Dequantize.IsSupported(GgmlType.IQ2_XS));
    }

    [Property(MaxTest = 200)]
    public Property Q8_0_error_per_value_is_at_most_half_a_step(int[] seeds)
    {
        var values = new float[32];
        for (var i = 0; i < values.Length; i++) values[i] = seeds.Length == 0 ? 0 : seeds[i % seeds.Length] % 100_000 / 1000f * (i + 1);
        var back = RoundTrip(GgmlType.Q8_0, values);
        var amax = values.Max(MathF.Abs);
        var step = amax / 127;
        // Half a step from rounding, plus the f16 rounding of the scale (relative 2^-11) applied to the largest value.
        return values.Zip(back).All(p => MathF.Abs(p.First - p.Second) <= step / 2 + amax / 2048 + 1e-6f).ToProperty();
    }

    [Fact]
    public void BFloat16_rounds_to_nearest_even()
    {
        Assert.Equal(0x3F80, Quantize.ToBFloat16(1f));
        Assert.Equal(0x3F80, Quantize.ToBFloat16(BitConverter.Int32BitsToSingle(0x3F808000))); // tie, even stays
        Assert.Equal(0x3F82, Quantize.ToBFloat16(BitConverter.Int32BitsToSingle(0x3F818000))); // tie, odd rounds up
        Assert.True(float.IsNaN(BitConverter.Int32BitsToSingle(Quantize.ToBFloat16(float.NaN) << 16)));
    }
}
