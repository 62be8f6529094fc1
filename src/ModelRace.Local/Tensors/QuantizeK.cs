using System.Buffers.Binary;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Tensors;

/// <summary>
/// Encoders for the k-quants. A super-block of 256 values is split into sub-blocks, each gets its own scale
/// (and min), found by a weighted least-squares search; the scales are then quantized against one f16 super-scale.
/// </summary>
public static partial class Quantize
{
    private const int QK = 256;

    private static void Q4_KBlock(ReadOnlySpan<float> x, Span<byte> block) => AffineK(x, block, maxLevel: 15);

    private static void Q5_KBlock(ReadOnlySpan<float> x, Span<byte> block) => AffineK(x, block, maxLevel: 31);

    /// <summary>Q4_K and Q5_K: 8 sub-blocks of 32, x ≈ d*scale*q - dmin*min with 6-bit scale and min.</summary>
    private static void AffineK(ReadOnlySpan<float> x, Span<byte> block, int maxLevel)
    {
        Span<byte> levels = stackalloc byte[QK];
        Span<float> scales = stackalloc float[8];
        Span<float> mins = stackalloc float[8];
        Span<float> weights = stackalloc float[32];
        float maxScale = 0, maxMin = 0;
        for (var j = 0; j < 8; j++)
        {
            var sub = x.Slice(32 * j, 32);
            var sumSquares = 0f;
            foreach (var v in sub) sumSquares += v * v;
            var typical = MathF.Sqrt(sumSquares / 32);
            for (var l = 0; l < 32; l++) weights[l] = typical + MathF.Abs(sub[l]);
            (scales[j], mins[j]) = FitAffine(sub, weights, maxLevel, levels.Slice(32 * j, 32));
            maxScale = MathF.Max(maxScale, scales[j]);
            maxMin = MathF.Max(maxMin, mins[j]);
        }

        block[..16].Clear();
        var d = WriteHalf(block, 0, maxScale / 63);
        var dmin = WriteHalf(block, 2, maxMin / 63);
        var packed = block.Slice(4, 12);
        for (var j = 0; j < 8; j++)
        {
            var ls = d > 0 ? Math.Min(63, (int)MathF.Round(scales[j] / d)) : 0;
            var lm = dmin > 0 ? Math.Min(63, (int)MathF.Round(mins[j] / dmin)) : 0;
            PackScaleMinK4(j, ls, lm, packed);
        }
        // Requantize against the scales a reader will actually see.
        for (var j = 0; j < 8; j++)
        {
            var (ls, lm) = BlockDecode.ScaleMinK4(j, packed);
            var scale = d * ls;
            var min = dmin * lm;
            for (var l = 0; l < 32; l++)
                levels[32 * j + l] = scale == 0 ? (byte)0 : (byte)Math.Clamp((int)MathF.Round((x[32 * j + l] + min) / scale), 0, maxLevel);
        }

        if (maxLevel == 15)
        {
            var qs = block.Slice(16, 128);
            for (var chunk = 0; chunk < 4; chunk++)
                for (var l = 0; l < 32; l++)
                    qs[32 * chunk + l] = (byte)(levels[64 * chunk + l] | (levels[64 * chunk + l + 32] << 4));
        }
        else
        {
            var qh = block.Slice(16, 32);
            var qs = block.Slice(48, 128);
            qh.Clear();
            for (var chunk = 0; chunk < 4; chunk++)
                for (var l = 0; l < 32; l++)
                {
                    int low = levels[64 * chunk + l], high = levels[64 * chunk + l + 32];
                    qs[32 * chunk + l] = (byte)((low & 0x0F) | ((high & 0x0F) << 4));
                    qh[l] |= (byte)(((low >> 4) << (2 * chunk)) | ((high >> 4) << (2 * chunk + 1)));
                }
        }
    }

    /// <summary>The inverse of BlockDecode.ScaleMinK4: sub-blocks 0..3 use 6 bits of bytes 0..7, 4..7 spill their top bits there.</summary>
    private static void PackScaleMinK4(int j, int scale, int min, Span<byte> q)
    {
        if (j < 4)
        {
            q[j] = (byte)((q[j] & 0xC0) | scale);
            q[j + 4] = (byte)((q[j + 4] & 0xC0) | min);
        }
        else
        {
            q[j + 4] = (byte)((scale & 0x0F) | ((min & 0x0F) << 4));
            q[j - 4] |= (byte)((scale >> 4) << 6);
            q[j] |= (byte)((min >> 4) << 6);
        }
    }

    /// <summary>
    /// Fits x ≈ scale*q - min with q in 0..maxLevel, minimising the weighted squared error over a few
    /// candidate grids; returns a non-negative min (values never need a positive offset because min ≤ 0 is enforced).
    /// </summary>
    private static (float Scale, float Min) FitAffine(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int maxLevel, Span<byte> levels)
    {
        float lo = x[0], hi = x[0];
        foreach (var v in x)
        {
            lo = MathF.Min(lo, v);
            hi = MathF.Max(hi, v);
        }
        lo = MathF.Min(lo, 0);
        if (hi <= lo)
        {
            levels.Clear();
            return (0, -lo);
        }
        float bestScale = (hi - lo) / maxLevel, bestMin = lo;
        var bestError = AffineError(x, w, maxLevel, bestScale, bestMin);
        Span<byte> candidate = stackalloc byte[x.Length];
        for (var step = 0; step <= 20; step++)
        {
            var inverse = (maxLevel - 1 + 0.1f * step) / (hi - lo);
            float sumW = 0, sumL = 0, sumL2 = 0, sumXL = 0, sumX = 0;
            for (var i = 0; i < x.Length; i++)
            {
                var l = Math.Clamp((int)MathF.Round(inverse * (x[i] - lo)), 0, maxLevel);
                candidate[i] = (byte)l;
                sumW += w[i];
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[i];
                sumX += w[i] * x[i];
            }
            var det = sumW * sumL2 - sumL * sumL;
            if (det <= 0) continue;
            var scale = (sumW * sumXL - sumX * sumL) / det;
            var min = (sumL2 * sumX - sumL * sumXL) / det;
            if (min > 0)
            {
                min = 0;
                scale = sumXL / sumL2;
            }
            if (scale <= 0) continue;
            // Judged on this grid's own levels: cheaper than re-rounding, and the final pass re-rounds anyway.
            var error = 0f;
            for (var i = 0; i < x.Length; i++)
            {
                var diff = scale * candidate[i] + min - x[i];
                error += w[i] * diff * diff;
            }
            if (error < bestError)
            {
                (bestError, bestScale, bestMin) = (error, scale, min);
            }
        }
        for (var i = 0; i < x.Length; i++)
            levels[i] = (byte)Math.Clamp((int)MathF.Round((x[i] - bestMin) / bestScale), 0, maxLevel);
        return (bestScale, -bestMin);
    }

    private static float AffineError(ReadOnlySpan<float> x, ReadOnlySpan<float> w, int maxLevel, float scale, float min)
    {
        var error = 0f;
        for (var i = 0; i < x.Length; i++)
        {
            var l = Math.Clamp((int)MathF.Round((x[i] - min) / scale), 0, maxLevel);
            var diff = scale * l + min - x[i];
            error += w[i] * diff * diff;
        }
        return error;
    }

    /// <summary>Q6_K: 16 sub-blocks of 16, x ≈ d*scale*(q - 32) with a signed 8-bit scale per sub-block.</summary>
    private static void Q6_KBlock(ReadOnlySpan<float> x, Span<byte> block)
    {
        Span<float> scales = stackalloc float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (var j = 0; j < 16; j++)
        {
            scales[j] = FitSymmetric(x.Slice(16 * j, 16), 32);
            if (MathF.Abs(scales[j]) > maxAbsScale)
            {
                maxAbsScale = MathF.Abs(scales[j]);
                maxScale = scales[j];
            }
        }
        block.Clear();
        var ql = block[..128];
        var qh = block.Slice(128, 64);
        var sc = block.Slice(192, 16);
        Span<byte> levels = stackalloc byte[QK];
        levels.Fill(32);
        if (maxAbsScale == 0)
        {
            WriteHalf(block, 208, 0);
        }
        else
        {
            var inverse = -128 / maxScale;
            var d = WriteHalf(block, 208, 1 / inverse);
            for (var j = 0; j < 16; j++)
            {
                var s = (sbyte)Math.Clamp((int)MathF.Round(inverse * scales[j]), -128, 127);
                sc[j] = (byte)s;
                var step = d * s;
                if (step == 0) continue;
                for (var l = 0; l < 16; l++)
                    levels[16 * j + l] = (byte)(Math.Clamp((int)MathF.Round(x[16 * j + l] / step), -32, 31) + 32);
            }
        }
        for (var half = 0; half < 2; half++)
        {
            var l0 = levels.Slice(128 * half, 128);
            for (var l = 0; l < 32; l++)
            {
                ql[64 * half + l] = (byte)((l0[l] & 0x0F) | ((l0[l + 64] & 0x0F) << 4));
                ql[64 * half + l + 32] = (byte)((l0[l + 32] & 0x0F) | ((l0[l + 96] & 0x0F) << 4));
                qh[32 * half + l] = (byte)((l0[l] >> 4) | ((l0[l + 32] >> 4) << 2) | ((l0[l + 64] >> 4) << 4) | ((l0[l + 96] >> 4) << 6));
            }
        }
    }

    /// <summary>
    /// The scale s that best fits x ≈ s*q with q in -n..n-1, weighting large values more;
    /// tries grids around the one that maps the largest magnitude onto -n.
    /// </summary>
    private static float FitSymmetric(ReadOnlySpan<float> x, int n)
    {
        var max = SignedMaxMagnitude(x);
        if (max == 0) return 0;
        float bestScale = 0, bestMerit = -1;
        for (var step = -9; step <= 9; step++)
        {
            var inverse = -(n + 0.1f * step) / max;
            float sumLX = 0, sumL2 = 0;
            foreach (var v in x)
            {
                var l = Math.Clamp((int)MathF.Round(inverse * v), -n, n - 1);
                var w = v * v;
                sumLX += w * v * l;
                sumL2 += w * l * l;
            }
            // For a fixed grid the best scale is sumLX/sumL2 and the error falls as sumLX²/sumL2 rises.
            if (sumL2 > 0 && sumLX * sumLX / sumL2 > bestMerit)
            {
                bestMerit = sumLX * sumLX / sumL2;
                bestScale = sumLX / sumL2;
            }
        }
        return bestScale;
    }
}
