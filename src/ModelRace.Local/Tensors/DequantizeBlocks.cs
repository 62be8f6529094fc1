using System.Buffers.Binary;

namespace ModelRace.Local.Tensors;

/// <summary>Decoders for one block of each quantized type; layouts as in ggml-common.h (block_q8_0, block_q4_K, ...).</summary>
public static partial class Dequantize
{
    // block_q8_0: f16 d, int8 qs[32]; x = q * d
    private static void Q8_0Block(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 0);
        for (var j = 0; j < 32; j++) y[j] = (sbyte)block[2 + j] * d;
    }

    // block_q4_0: f16 d, qs[16]; low nibbles are elements 0..15, high nibbles 16..31; x = (q - 8) * d
    private static void Q4_0Block(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 0);
        var qs = block[2..];
        for (var j = 0; j < 16; j++)
        {
            y[j] = ((qs[j] & 0x0F) - 8) * d;
            y[j + 16] = ((qs[j] >> 4) - 8) * d;
        }
    }

    // block_q5_0: f16 d, qh[4] (bit j = fifth bit of element j), qs[16] as Q4_0; x = (q - 16) * d
    private static void Q5_0Block(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 0);
        var qh = BinaryPrimitives.ReadUInt32LittleEndian(block[2..]);
        var qs = block[6..];
        for (var j = 0; j < 16; j++)
        {
            var high0 = (int)((qh >> j) & 1) << 4;
            var high1 = (int)((qh >> (j + 16)) & 1) << 4;
            y[j] = (((qs[j] & 0x0F) | high0) - 16) * d;
            y[j + 16] = (((qs[j] >> 4) | high1) - 16) * d;
        }
    }

    /// <summary>The 6-bit scale and min of sub-block <paramref name="j"/> (0..7) packed in 12 bytes, as ggml's get_scale_min_k4.</summary>
    internal static (int Scale, int Min) ScaleMinK4(int j, ReadOnlySpan<byte> q) => j < 4
        ? (q[j] & 63, q[j + 4] & 63)
        : ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));

    // block_q4_K: f16 d, f16 dmin, scales[12], qs[128]. Each 64 values share 32 bytes: low nibbles first, then high.
    private static void Q4_KBlock(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 0);
        var dmin = Half(block, 2);
        var scales = block.Slice(4, 12);
        var qs = block[16..];
        for (var chunk = 0; chunk < 4; chunk++)
        {
            var (s1, m1) = ScaleMinK4(2 * chunk, scales);
            var (s2, m2) = ScaleMinK4(2 * chunk + 1, scales);
            float d1 = d * s1, min1 = dmin * m1, d2 = d * s2, min2 = dmin * m2;
            var q = qs.Slice(32 * chunk, 32);
            var outChunk = y.Slice(64 * chunk, 64);
            for (var l = 0; l < 32; l++)
            {
                outChunk[l] = d1 * (q[l] & 0x0F) - min1;
                outChunk[l + 32] = d2 * (q[l] >> 4) - min2;
            }
        }
    }

    // block_q5_K: f16 d, f16 dmin, scales[12], qh[32], qs[128]; like Q4_K with a fifth bit from qh (two bits per 64-value chunk).
    private static void Q5_KBlock(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 0);
        var dmin = Half(block, 2);
        var scales = block.Slice(4, 12);
        var qh = block.Slice(16, 32);
        var qs = block[48..];
        for (var chunk = 0; chunk < 4; chunk++)
        {
            var (s1, m1) = ScaleMinK4(2 * chunk, scales);
            var (s2, m2) = ScaleMinK4(2 * chunk + 1, scales);
            float d1 = d * s1, min1 = dmin * m1, d2 = d * s2, min2 = dmin * m2;
            int lowBit = 1 << (2 * chunk), highBit = 2 << (2 * chunk);
            var q = qs.Slice(32 * chunk, 32);
            var outChunk = y.Slice(64 * chunk, 64);
            for (var l = 0; l < 32; l++)
            {
                outChunk[l] = d1 * ((q[l] & 0x0F) + ((qh[l] & lowBit) != 0 ? 16 : 0)) - min1;
                outChunk[l + 32] = d2 * ((q[l] >> 4) + ((qh[l] & highBit) != 0 ? 16 : 0)) - min2;
            }
        }
    }

    // block_q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], f16 d; x = d * scale * (q - 32)
    private static void Q6_KBlock(ReadOnlySpan<byte> block, Span<float> y)
    {
        var d = Half(block, 208);
        for (var half = 0; half < 2; half++)
        {
            var ql = block.Slice(64 * half, 64);
            var qh = block.Slice(128 + 32 * half, 32);
            var sc = block.Slice(192 + 8 * half, 8);
            var outHalf = y.Slice(128 * half, 128);
            for (var l = 0; l < 32; l++)
            {
                var s = l / 16;
                var q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
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
