using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelRace.Local.Kernels;

/// <summary>The building blocks shared by the vector kernels.</summary>
public static unsafe class Simd
{
    /// <summary>The vector kernels need AVX2 and FMA; without them every type runs its scalar kernel.</summary>
    public static bool IsAccelerated => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Whether the processor says "GenuineIntel" (some tuning differs by vendor; see where it is used).</summary>
    public static bool IsIntel { get; } = X86Base.IsSupported && X86Base.CpuId(0, 0) is (_, 0x756E6547, 0x6C65746E, 0x49656E69);

    /// <summary>
    /// fp16 → float for scales. .NET exposes no F16C conversion, and the software one costs ~10 instructions, so scales
    /// (one per block) come from a table of all 65,536 values; a matrix's scales cluster, so the entries in use stay in L1.
    /// </summary>
    public static readonly float* HalfToFloat = BuildHalfTable();

    private static float* BuildHalfTable()
    {
        var table = (float*)NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (var i = 0; i < 65536; i++) table[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return table;
    }

    /// <summary>Eight sums of four u8·s8 products each: one VNNI instruction, or two AVX2 ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotBytes(Vector256<byte> unsignedBytes, Vector256<sbyte> signedBytes)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, unsignedBytes, signedBytes);
        return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(unsignedBytes, signedBytes), Vector256.Create((short)1));
    }

    /// <summary>Σ signed·signed over 32 bytes, as eight partial sums (the sign moves onto the activations, as in ggml).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> DotSignedBytes(Vector256<sbyte> weights, Vector256<sbyte> activations) =>
        DotBytes(Avx2.Abs(weights), Avx2.Sign(activations, weights));

    /// <summary>acc + pairwise sums of int16 products (VNNI fuses the add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplyAddPairs(Vector256<int> accumulator, Vector256<short> left, Vector256<short> right)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(accumulator, left, right);
        return Avx2.Add(accumulator, Avx2.MultiplyAddAdjacent(left, right));
    }

    /// <summary>
    /// The sum of eight floats in the order of ggml's hsum_float_8: ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7)).
    /// Vector256.Sum adds ((a0+a1) + (a2+a3)) + ((a4+a5) + (a6+a7)), which rounds differently about half the time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumInGgmlOrder(Vector256<float> v) => SumInGgmlOrder(Sse.Add(v.GetUpper(), v.GetLower()));

    /// <summary>The sum of four floats in ggml's order: (a0+a2) + (a1+a3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumInGgmlOrder(Vector128<float> v)
    {
        var pairs = Sse.Add(v, Sse.MoveHighToLow(v, v));
        return Sse.AddScalar(pairs, Sse3.MoveHighAndDuplicate(pairs)).ToScalar();
    }

    /// <summary>A table of vector constants in native memory, so kernels index it without bounds checks.</summary>
    public static Vector256<byte>* Constants(int count, Func<int, Vector256<byte>> value)
    {
        var table = (Vector256<byte>*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(Vector256<byte>)), 32);
        for (var i = 0; i < count; i++) table[i] = value(i);
        return table;
    }

    /// <summary>An fp16 exponent of all ones (infinities and NaNs), once moved up into float position.</summary>
    private const uint HalfInfinityMagnitude = 0x0F800000;

    /// <summary>Sixteen fp16 values as floats, exactly, infinities and NaNs included: the 512-bit form of <see cref="WidenEightHalves"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> WidenSixteenHalves(ushort* source)
    {
        var bits = Avx512F.ConvertToVector512UInt32(Vector256.Load(source));
        var magnitude = Vector512.ShiftLeft(bits, 13) & Vector512.Create(0x0FFFE000u);
        var value = (magnitude.AsSingle() * Vector512.Create(BitConverter.UInt32BitsToSingle(0x77800000))).AsUInt32();
        var infinityOrNaN = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(HalfInfinityMagnitude));
        value = Vector512.ConditionalSelect(infinityOrNaN, value | Vector512.Create(0x7F800000u), value);
        return (value | (Vector512.ShiftLeft(bits, 16) & Vector512.Create(0x80000000u))).AsSingle();
    }

    /// <summary>
    /// fp16 → float for whole rows, exact for every value. TensorPrimitives.ConvertToSingle costs ~0.3 ns a value here,
    /// which alone caps F16 decoding at a few tokens a second; this takes ~0.05 ns: the exponent and mantissa bits move
    /// up 13 places and a multiply by 2^112 rebiases the exponent (which also scales subnormals correctly), then
    /// infinities and NaNs get their all-ones exponent back and the sign is restored.
    /// </summary>
    public static void WidenHalves(ushort* source, float* destination, int count)
    {
        var i = 0;
        if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
            for (; i + 16 <= count; i += 16) WidenSixteenHalves(source + i).Store(destination + i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= count; i += 8) WidenEightHalves(source + i).Store(destination + i);
        for (; i < count; i++) destination[i] = (float)BitConverter.UInt16BitsToHalf(source[i]);
    }

    /// <summary>Eight fp16 values as floats, exactly: the 256-bit form of <see cref="WidenSixteenHalves"/>.</summary>
    /// <remarks>Inlined: called, it cost a quarter of an F16 prompt's matrix multiplies (the vector came back through memory).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WidenEightHalves(ushort* source)
    {
        var bits = Vector256.WidenLower(Vector128.Load(source).ToVector256Unsafe());
        var magnitude = Vector256.ShiftLeft(bits, 13) & Vector256.Create(0x0FFFE000u);
        var value = (magnitude.AsSingle() * Vector256.Create(BitConverter.UInt32BitsToSingle(0x77800000))).AsUInt32();
        var infinityOrNaN = Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(HalfInfinityMagnitude));
        value = Vector256.ConditionalSelect(infinityOrNaN, magnitude | Vector256.Create(0x7F800000u), value);
        return (value | (Vector256.ShiftLeft(bits, 16) & Vector256.Create(0x80000000u))).AsSingle();
    }

    /// <summary>Whether any of <paramref name="count"/> fp16 values is subnormal: a zero exponent and a nonzero mantissa.</summary>
    public static bool AnyHalfSubnormal(ushort* source, long count)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var exponent = Vector256.Create((ushort)0x7C00);
            var mantissa = Vector256.Create((ushort)0x03FF);
            var seen = Vector256<ushort>.Zero;
            for (; i + 16 <= count; i += 16)
            {
                var bits = Vector256.Load(source + i);
                seen |= Vector256.Equals(bits & exponent, Vector256<ushort>.Zero) & ~Vector256.Equals(bits & mantissa, Vector256<ushort>.Zero);
            }
            if (seen != Vector256<ushort>.Zero) return true;
        }
        for (; i < count; i++)
            if ((source[i] & 0x7C00) == 0 && (source[i] & 0x03FF) != 0) return true;
        return false;
    }

    /// <summary>Whether none of <paramref name="count"/> fp16 values has the all-ones exponent of infinities and NaNs.</summary>
    public static bool AllHalvesFinite(ushort* source, long count)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var exponent = Vector256.Create((ushort)0x7C00);
            var seen = Vector256<ushort>.Zero;
            for (; i + 16 <= count; i += 16) seen |= Vector256.Equals(Vector256.Load(source + i) & exponent, exponent);
            if (seen != Vector256<ushort>.Zero) return false;
        }
        for (; i < count; i++)
            if ((source[i] & 0x7C00) == 0x7C00) return false;
        return true;
    }
}
