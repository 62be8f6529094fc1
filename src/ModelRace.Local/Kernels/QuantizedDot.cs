using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Dot products of a quantized weight row with 8-bit activations (<see cref="QuantizedActivations"/>), as llama.cpp
/// computes them: each block's weight quants are unpacked to bytes, multiplied with the activation quants in integers,
/// and only the per-block sums are scaled to float. Q8_0, Q4_0, Q4_K, Q5_K and Q6_K have AVX2/VNNI kernels (the other files of
/// this class); every type has the scalar kernel below, which the vector ones are tested against.
/// </summary>
/// <remarks>
/// Each vector kernel's entry point is kept out of line: inlined into <see cref="DotRows"/> beside every other type's
/// kernel, a kernel lost its registers and reloaded its row pointers from the stack on every block.
/// </remarks>
public static unsafe partial class QuantizedDot
{
    /// <summary>
    /// A flag fixed at compile time: a kernel generic over a struct that implements it is compiled once per struct, with
    /// the flag folded away. (A bool argument is folded only if the JIT inlines the kernel, which it declined to do for
    /// the four-row ones, leaving a branch on the flag in every block.)
    /// </summary>
    private interface IFlag
    {
        static abstract bool Value { get; }
    }

    private readonly struct Yes : IFlag
    {
        public static bool Value => true;
    }

    private readonly struct No : IFlag
    {
        public static bool Value => false;
    }

    /// <summary>
    /// How far ahead of the block in hand the kernels ask for weights. Decoding is a race to the memory wall, and the
    /// hardware prefetcher alone left a core waiting on the next block. Rows lie end to end, so this runs on into the
    /// next row. The best distance differed by machine, measured side by side: on a Zen 3 EPYC (512 KiB L2) 2 KiB made
    /// one-thread Q4_K decoding about 15% faster (1 KiB and 4 KiB were slower); on an Emerald Rapids Xeon (2 MiB L2)
    /// 4 KiB beat 2 KiB in every pair of runs (Q8_0 one thread 8.5–8.7 against 8.1–8.3 tok/s, two threads 14.3–18.1
    /// against 13.3–17.3; Q4_K one thread 17.0–19.0 against 13.7–15.4, two threads 29.8–31.6 against 27.5–30.5), and
    /// 6 KiB was slower on one thread. Without any prefetch that Xeon decoded Q8_0 at 6.0–6.4 tok/s, against 8.9–10.0.
    /// </summary>
    private static readonly int PrefetchDistance = Simd.IsIntel ? 4096 : 2048;

    /// <summary>
    /// Asks for the cache lines of the <paramref name="bytes"/> (at most 256) that lie <see cref="PrefetchDistance"/>
    /// ahead of <paramref name="block"/>. Written as tests rather than a loop: the kernels pass a constant, for which
    /// the tests fold away, where the JIT kept the loop with its counter and branch in every block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchAhead(byte* block, int bytes)
    {
        Debug.Assert(bytes <= 256);
        var ahead = block + PrefetchDistance;
        Sse.Prefetch0(ahead);
        if (bytes > 64) Sse.Prefetch0(ahead + 64);
        if (bytes > 128) Sse.Prefetch0(ahead + 128);
        if (bytes > 192) Sse.Prefetch0(ahead + 192);
    }

    /// <summary>Whether <paramref name="type"/> runs a vector kernel on this machine.</summary>
    public static bool IsVectorized(GgmlType type) =>
        Simd.IsAccelerated && type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>The dot of one weight row with activation row <paramref name="batchIndex"/>.</summary>
    public static float Dot(GgmlType type, byte* row, QuantizedActivations x, int batchIndex)
    {
        if (IsVectorized(type))
        {
            return type switch
            {
                GgmlType.Q8_0 => Q8_0TakesWideActivations ? VectorDotQ8_0Wide(row, x, batchIndex) : VectorDotQ8_0(row, x, batchIndex),
                GgmlType.Q4_0 => VectorDotQ4_0(row, x, batchIndex),
                GgmlType.Q4_K => VectorDotQ4_K(row, x, batchIndex),
                GgmlType.Q5_K => VectorDotQ5_K(row, x, batchIndex),
                _ => VectorDotQ6_K(row, x, batchIndex),
            };
        }
        return ScalarDot(type, row, x, batchIndex);
    }

    /// <summary>
    /// Dots one weight row with activation rows <paramref name="first"/> … first+count−1, writing result i to
    /// y[i·yStride]. Groups of four share each unpacked weight block.
    /// </summary>
    public static void DotRows(GgmlType type, byte* row, QuantizedActivations x, int first, int count, float* y, long yStride)
    {
        var i = 0;
        if (IsVectorized(type))
        {
            for (; i + 4 <= count; i += 4)
            {
                var output = y + i * yStride;
                switch (type)
                {
                    case GgmlType.Q8_0 when Q8_0TakesWideActivations: VectorDotQ8_0Widex4(row, x, first + i, output, yStride); break;
                    case GgmlType.Q8_0: VectorDotQ8_0x4(row, x, first + i, output, yStride); break;
                    case GgmlType.Q4_0: VectorDotQ4_0x4(row, x, first + i, output, yStride); break;
                    case GgmlType.Q4_K: VectorDotQ4_Kx4(row, x, first + i, output, yStride); break;
                    case GgmlType.Q5_K: VectorDotQ5_Kx4(row, x, first + i, output, yStride); break;
                    default: VectorDotQ6_Kx4(row, x, first + i, output, yStride); break;
                }
            }
        }
        for (; i < count; i++) y[i * yStride] = Dot(type, row, x, first + i);
    }

    /// <summary>The portable kernel: unpack each block to signed bytes, then an integer dot.</summary>
    public static float ScalarDot(GgmlType type, byte* row, QuantizedActivations x, int batchIndex)
    {
        var blocksPerRow = x.Length / x.BlockSize;
        var quants = x.Quants.Slice(batchIndex * x.Length, x.Length);
        var scales = x.Scales.Slice(batchIndex * blocksPerRow, blocksPerRow);
        return type switch
        {
            GgmlType.Q8_0 => DotQ8_0(row, quants, scales),
            GgmlType.Q4_0 => DotQ4_0(row, quants, scales),
            GgmlType.Q5_0 => DotQ5_0(row, quants, scales),
            GgmlType.Q4_K => DotQ4_K(row, quants, scales, x.GroupSums.Slice(batchIndex * x.Length / 16, x.Length / 16), withFifthBit: false),
            GgmlType.Q5_K => DotQ4_K(row, quants, scales, x.GroupSums.Slice(batchIndex * x.Length / 16, x.Length / 16), withFifthBit: true),
            GgmlType.Q6_K => DotQ6_K(row, quants, scales),
            _ => throw new NotSupportedException($"{type} weights do not take 8-bit activations"),
        };
    }

    private static float Fp16(byte* p) => (float)BinaryPrimitives.ReadHalfLittleEndian(new ReadOnlySpan<byte>(p, 2));

    private static float DotQ8_0(byte* row, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales)
    {
        var sum = 0f;
        for (var b = 0; b < xScales.Length; b++, row += 34)
            sum += Int8Dot(new ReadOnlySpan<sbyte>(row + 2, 32), x.Slice(b * 32, 32)) * (Fp16(row) * xScales[b]);
        return sum;
    }

    private static float DotQ4_0(byte* row, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales)
    {
        Span<sbyte> w = stackalloc sbyte[32];
        var sum = 0f;
        for (var b = 0; b < xScales.Length; b++, row += 18)
        {
            for (var j = 0; j < 16; j++)
            {
                w[j] = (sbyte)((row[2 + j] & 0x0F) - 8);
                w[j + 16] = (sbyte)((row[2 + j] >> 4) - 8);
            }
            sum += Int8Dot(w, x.Slice(b * 32, 32)) * (Fp16(row) * xScales[b]);
        }
        return sum;
    }

    private static float DotQ5_0(byte* row, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales)
    {
        Span<sbyte> w = stackalloc sbyte[32];
        var sum = 0f;
        for (var b = 0; b < xScales.Length; b++, row += 22)
        {
            var highBits = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(row + 2, 4));
            for (var j = 0; j < 16; j++)
            {
                var high0 = (int)((highBits >> j) << 4) & 0x10;
                var high1 = (int)(highBits >> (j + 12)) & 0x10;
                w[j] = (sbyte)(((row[6 + j] & 0x0F) | high0) - 16);
                w[j + 16] = (sbyte)(((row[6 + j] >> 4) | high1) - 16);
            }
            sum += Int8Dot(w, x.Slice(b * 32, 32)) * (Fp16(row) * xScales[b]);
        }
        return sum;
    }

    /// <summary>Q4_K and Q5_K: eight sub-blocks of 32 with 6-bit scale and min; the mins meet the activations through their group sums.</summary>
    private static float DotQ4_K(byte* row, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales, ReadOnlySpan<short> groupSums, bool withFifthBit)
    {
        Span<sbyte> w = stackalloc sbyte[256];
        var blockBytes = withFifthBit ? 176 : 144;
        var sum = 0f;
        for (var b = 0; b < xScales.Length; b++, row += blockBytes)
        {
            var scaleBytes = new ReadOnlySpan<byte>(row + 4, 12);
            var qs = new ReadOnlySpan<byte>(row + (withFifthBit ? 48 : 16), 128);
            var qh = new ReadOnlySpan<byte>(row + 16, 32);
            for (var group = 0; group < 4; group++)
                for (var l = 0; l < 32; l++)
                {
                    var q = qs[group * 32 + l];
                    int low = q & 0x0F, high = q >> 4;
                    if (withFifthBit)
                    {
                        low += (qh[l] >> (2 * group) & 1) << 4;
                        high += (qh[l] >> (2 * group + 1) & 1) << 4;
                    }
                    w[group * 64 + l] = (sbyte)low;
                    w[group * 64 + 32 + l] = (sbyte)high;
                }
            int scaled = 0, mins = 0;
            var xBlock = x.Slice(b * 256, 256);
            for (var sub = 0; sub < 8; sub++)
            {
                var (scale, min) = BlockDecode.ScaleMinK4(sub, scaleBytes);
                scaled += scale * Int8Dot(w.Slice(sub * 32, 32), xBlock.Slice(sub * 32, 32));
                mins += min * (groupSums[b * 16 + 2 * sub] + groupSums[b * 16 + 2 * sub + 1]);
            }
            sum += Fp16(row) * xScales[b] * scaled - Fp16(row + 2) * xScales[b] * mins;
        }
        return sum;
    }

    /// <summary>Q6_K: sixteen sub-blocks of 16 with signed 8-bit scales.</summary>
    private static float DotQ6_K(byte* row, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales)
    {
        Span<sbyte> w = stackalloc sbyte[256];
        var sum = 0f;
        for (var b = 0; b < xScales.Length; b++, row += 210)
        {
            for (var half = 0; half < 2; half++)
            {
                var ql = row + half * 64;
                var qh = row + 128 + half * 32;
                var o = half * 128;
                for (var l = 0; l < 32; l++)
                {
                    w[o + l] = (sbyte)(((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) - 32);
                    w[o + l + 32] = (sbyte)(((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32);
                    w[o + l + 64] = (sbyte)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                    w[o + l + 96] = (sbyte)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
                }
            }
            var scales = (sbyte*)(row + 192);
            var xBlock = x.Slice(b * 256, 256);
            var scaled = 0;
            for (var sub = 0; sub < 16; sub++)
                scaled += scales[sub] * Int8Dot(w.Slice(sub * 16, 16), xBlock.Slice(sub * 16, 16));
            sum += Fp16(row + 208) * xScales[b] * scaled;
        }
        return sum;
    }

    /// <summary>Σ a[i]·b[i] over signed bytes, 16 at a time with AVX2 (widen to int16, multiply-add pairs to int32).</summary>
    public static int Int8Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        var n = a.Length;
        var i = 0;
        var total = 0;
        if (Avx2.IsSupported)
        {
            var acc = Vector256<int>.Zero;
            fixed (sbyte* pa = a)
            fixed (sbyte* pb = b)
            {
                for (; i + 16 <= n; i += 16)
                    acc = Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(pa + i), Avx2.ConvertToVector256Int16(pb + i)));
            }
            total = Vector256.Sum(acc);
        }
        for (; i < n; i++) total += a[i] * b[i];
        return total;
    }
}
