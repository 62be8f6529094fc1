using System.Buffers.Binary;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Decodes one quantized block into floats (layouts as in ggml-common.h). The dot kernels decode a block into
/// a small stack buffer and take its dot product with the activations straight away, so a weight row is never
/// materialized as floats.
/// </summary>
public static class BlockDecode
{
    public static bool IsSupported(GgmlType type) =>
        type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0
            or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    private static float Half(ReadOnlySpan<byte> b, int offset) => (float)BinaryPrimitives.ReadHalfLittleEndian(b[offset..]);

    /// <summary>Q8_0: fp16 scale d, 32 signed bytes; x = d·q.</summary>
    public static void Q8_0(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 0);
        for (var i = 0; i < 32; i++) y[i] = d * (sbyte)block[2 + i];
    }

    /// <summary>Q4_0: fp16 scale d, 16 bytes of nibbles; low nibbles are values 0–15, high nibbles 16–31, offset by 8.</summary>
    public static void Q4_0(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 0);
        var qs = block.Slice(2, 16);
        for (var j = 0; j < 16; j++)
        {
            y[j] = d * ((qs[j] & 0x0F) - 8);
            y[j + 16] = d * ((qs[j] >> 4) - 8);
        }
    }

    /// <summary>Q5_0: fp16 scale d, 32 fifth bits packed in a uint32, 16 bytes of nibbles; offset by 16.</summary>
    public static void Q5_0(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 0);
        var highBits = BinaryPrimitives.ReadUInt32LittleEndian(block[2..]);
        var qs = block.Slice(6, 16);
        for (var j = 0; j < 16; j++)
        {
            var high0 = (int)((highBits >> j) << 4) & 0x10;
            var high1 = (int)(highBits >> (j + 12)) & 0x10;
            y[j] = d * (((qs[j] & 0x0F) | high0) - 16);
            y[j + 16] = d * (((qs[j] >> 4) | high1) - 16);
        }
    }

    /// <summary>The 6-bit scale and min of sub-block <paramref name="j"/> (0–7) of a Q4_K/Q5_K block (ggml's get_scale_min_k4).</summary>
    internal static (int Scale, int Min) ScaleMinK4(int j, ReadOnlySpan<byte> q)
    {
        if (j < 4) return (q[j] & 63, q[j + 4] & 63);
        return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }

    /// <summary>Q4_K: fp16 d and dmin, 12 bytes of packed 6-bit scales and mins, 128 bytes of nibbles; 256 values.</summary>
    public static void Q4_K(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 0);
        var dmin = Half(block, 2);
        var scales = block.Slice(4, 12);
        var qs = block.Slice(16, 128);
        for (int group = 0, sub = 0; group < 4; group++, sub += 2)
        {
            var (sc1, m1) = ScaleMinK4(sub, scales);
            var (sc2, m2) = ScaleMinK4(sub + 1, scales);
            float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
            var q = qs.Slice(group * 32, 32);
            var outLow = y.Slice(group * 64, 32);
            var outHigh = y.Slice(group * 64 + 32, 32);
            for (var l = 0; l < 32; l++)
            {
                outLow[l] = d1 * (q[l] & 0x0F) - min1;
                outHigh[l] = d2 * (q[l] >> 4) - min2;
            }
        }
    }

    /// <summary>Q5_K: like Q4_K plus 32 bytes holding a fifth bit for each value.</summary>
    public static void Q5_K(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 0);
        var dmin = Half(block, 2);
        var scales = block.Slice(4, 12);
        var qh = block.Slice(16, 32);
        var qs = block.Slice(48, 128);
        for (int group = 0, sub = 0; group < 4; group++, sub += 2)
        {
            var (sc1, m1) = ScaleMinK4(sub, scales);
            var (sc2, m2) = ScaleMinK4(sub + 1, scales);
            float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
            int bitLow = 1 << (2 * group), bitHigh = 2 << (2 * group);
            var q = qs.Slice(group * 32, 32);
            var outLow = y.Slice(group * 64, 32);
            var outHigh = y.Slice(group * 64 + 32, 32);
            for (var l = 0; l < 32; l++)
            {
                outLow[l] = d1 * ((q[l] & 0x0F) + ((qh[l] & bitLow) != 0 ? 16 : 0)) - min1;
                outHigh[l] = d2 * ((q[l] >> 4) + ((qh[l] & bitHigh) != 0 ? 16 : 0)) - min2;
            }
        }
    }

    /// <summary>Q6_K: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 signed 8-bit scales, fp16 d; offset by 32.</summary>
    public static void Q6_K(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 208);
        for (var half = 0; half < 2; half++)
        {
            var ql = block.Slice(half * 64, 64);
            var qh = block.Slice(128 + half * 32, 32);
            var sc = block.Slice(192 + half * 8, 8);
            var outHalf = y.Slice(half * 128, 128);
            for (var l = 0; l < 32; l++)
            {
                var s = l / 16;
                var q1 = ((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) - 32;
                var q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
                var q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                var q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                outHalf[l] = d * (sbyte)sc[s] * q1;
                outHalf[l + 32] = d * (sbyte)sc[s + 2] * q2;
                outHalf[l + 64] = d * (sbyte)sc[s + 4] * q3;
                outHalf[l + 96] = d * (sbyte)sc[s + 6] * q4;
            }
        }
    }
}
