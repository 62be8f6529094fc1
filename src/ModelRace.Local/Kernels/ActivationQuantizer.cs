using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>
/// AVX2 forms of <see cref="QuantizedActivations"/>' block quantizers, bit for bit the same (the same float products,
/// rounded half to even). A projection's input is quantized by the calling thread alone while the other compute
/// threads wait, so at a batch of 64 rows the scalar loops cost several percent of a prompt.
/// </summary>
public static unsafe class ActivationQuantizer
{
    public static bool IsAccelerated => Avx2.IsSupported;

    /// <summary>packs(packs(a, b), packs(c, d)) leaves the four 8-value runs in the order 0 2 1 3 per lane; this restores 0 1 2 3.</summary>
    private static readonly Vector256<int> PackedOrder = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);

    /// <summary>32 values: scale = max|x| / 127 at fp16 precision; quant = round(x · 127 / max|x|).</summary>
    public static float Q8_0(float* x, sbyte* q)
    {
        Vector256<float> v0 = Vector256.Load(x), v1 = Vector256.Load(x + 8), v2 = Vector256.Load(x + 16), v3 = Vector256.Load(x + 24);
        var amax = HorizontalMax(Avx.Max(Avx.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Avx.Max(Vector256.Abs(v2), Vector256.Abs(v3))));
        var inverse = Vector256.Create(amax != 0 ? 127f / amax : 0f);
        StoreQuants(q, Rounded(v0, inverse), Rounded(v1, inverse), Rounded(v2, inverse), Rounded(v3, inverse));
        return (float)(Half)(amax / 127f);
    }

    /// <summary>Two blocks' 64 quants as int16s, interleaved in runs of eight (the layout of <see cref="QuantizedActivations.WideQuants"/>).</summary>
    public static void WidenPair(sbyte* q, short* wide)
    {
        QuantizedDot.InPairLayout(Avx2.ConvertToVector256Int16(q), Avx2.ConvertToVector256Int16(q + 16), Avx2.ConvertToVector256Int16(q + 32),
            Avx2.ConvertToVector256Int16(q + 48), out var run0, out var run1, out var run2, out var run3);
        run0.Store(wide);
        run1.Store(wide + 16);
        run2.Store(wide + 32);
        run3.Store(wide + 48);
    }

    /// <summary>256 values: the value of largest magnitude (the first, on a tie) maps to −127; also the sum of each 16 quants.</summary>
    public static float Q8_K(float* x, sbyte* q, short* groupSums)
    {
        var largest = Vector256<float>.Zero;
        for (var i = 0; i < 256; i += 8) largest = Avx.Max(largest, Vector256.Abs(Vector256.Load(x + i)));
        var amax = HorizontalMax(largest);
        if (amax == 0)
        {
            new Span<sbyte>(q, 256).Clear();
            new Span<short>(groupSums, 16).Clear();
            return 0;
        }
        var max = FirstOfMagnitude(x, amax);
        var inverseScale = -127f / max;
        var scale = Vector256.Create(inverseScale);
        var ceiling = Vector256.Create(127);
        for (var group = 0; group < 16; group += 2)
        {
            var p = x + group * 16;
            var a = Vector256.Min(Rounded(Vector256.Load(p), scale), ceiling);
            var b = Vector256.Min(Rounded(Vector256.Load(p + 8), scale), ceiling);
            var c = Vector256.Min(Rounded(Vector256.Load(p + 16), scale), ceiling);
            var d = Vector256.Min(Rounded(Vector256.Load(p + 24), scale), ceiling);
            StoreQuants(q + group * 16, a, b, c, d);
            groupSums[group] = (short)Vector256.Sum(a + b);
            groupSums[group + 1] = (short)Vector256.Sum(c + d);
        }
        return 1f / inverseScale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Rounded(Vector256<float> values, Vector256<float> scale) =>
        Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(values * scale));

    /// <summary>Four runs of eight int32s in [−128, 127] as 32 bytes, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreQuants(sbyte* q, Vector256<int> a, Vector256<int> b, Vector256<int> c, Vector256<int> d)
    {
        var bytes = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(a, b), Avx2.PackSignedSaturate(c, d));
        Avx2.PermuteVar8x32(bytes.AsInt32(), PackedOrder).AsSByte().Store(q);
    }

    /// <summary>Magnitudes only (never NaN or −0 here), so plain vmaxps serves; Vector256.Max's IEEE fix-ups would cost extra.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector256<float> v)
    {
        var half = Sse.Max(v.GetLower(), v.GetUpper());
        half = Sse.Max(half, Sse.Shuffle(half, half, 0b_01_00_11_10));
        return MathF.Max(half.ToScalar(), Sse.Shuffle(half, half, 0b_10_11_00_01).ToScalar());
    }

    /// <summary>The first of the 256 values whose magnitude is <paramref name="amax"/>, with its sign.</summary>
    private static float FirstOfMagnitude(float* x, float amax)
    {
        var target = Vector256.Create(amax);
        for (var i = 0; ; i += 8)
        {
            var hits = Vector256.Equals(Vector256.Abs(Vector256.Load(x + i)), target).ExtractMostSignificantBits();
            if (hits != 0) return x[i + System.Numerics.BitOperations.TrailingZeroCount(hits)];
        }
    }
}
