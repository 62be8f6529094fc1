using System.Buffers.Binary;
using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Tensors;

/// <summary>
/// Turns rows of floats into ggml's tensor types, writing ggml's block layouts byte for byte
/// (ggml-common.h), so that any GGUF reader, llama.cpp included, decodes them. Used to synthesize test models.
/// </summary>
public static partial class Quantize
{
    /// <summary>Every type the runtime reads (<see cref="BlockDecode.IsSupported"/>) can be written too.</summary>
    public static bool IsSupported(GgmlType type) => BlockDecode.IsSupported(type);

    /// <summary>Encodes <paramref name="source"/> (whole blocks) into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Row(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        var needed = GgmlTypeInfo.RowBytes(type, source.Length);
        if (destination.Length < needed) throw new ArgumentException($"{type}: {source.Length} values need {needed} bytes, got {destination.Length}");
        destination = destination[..(int)needed];
        switch (type)
        {
            case GgmlType.F32:
                for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(destination[(4 * i)..], source[i]);
                break;
            case GgmlType.F16:
                for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(destination[(2 * i)..], (Half)source[i]);
                break;
            case GgmlType.BF16:
                for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], ToBFloat16(source[i]));
                break;
            case GgmlType.Q8_0: Blocks(source, destination, 34, 32, Q8_0Block); break;
            case GgmlType.Q4_0: Blocks(source, destination, 18, 32, Q4_0Block); break;
            case GgmlType.Q5_0: Blocks(source, destination, 22, 32, Q5_0Block); break;
            case GgmlType.Q4_K: Blocks(source, destination, 144, 256, Q4_KBlock); break;
            case GgmlType.Q5_K: Blocks(source, destination, 176, 256, Q5_KBlock); break;
            case GgmlType.Q6_K: Blocks(source, destination, 210, 256, Q6_KBlock); break;
            default:
                throw new NotSupportedException($"quantizing to {type} is not supported");
        }
        return (int)needed;
    }

    /// <summary>Round to nearest even on the dropped 16 bits, keeping NaN a NaN.</summary>
    public static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    private delegate void BlockEncoder(ReadOnlySpan<float> values, Span<byte> block);

    private static void Blocks(ReadOnlySpan<float> source, Span<byte> destination, int blockBytes, int blockSize, BlockEncoder encode)
    {
        for (int b = 0, count = source.Length / blockSize; b < count; b++)
            encode(source.Slice(b * blockSize, blockSize), destination.Slice(b * blockBytes, blockBytes));
    }

    /// <summary>Writes <paramref name="value"/> as f16 and returns what a reader will get back.</summary>
    private static float WriteHalf(Span<byte> bytes, int offset, float value)
    {
        var half = (Half)value;
        BinaryPrimitives.WriteHalfLittleEndian(bytes[offset..], half);
        return (float)half;
    }

    /// <summary>The value with the largest magnitude, sign kept (the legacy types map it to the end of the range).</summary>
    private static float SignedMaxMagnitude(ReadOnlySpan<float> x)
    {
        float max = 0, amax = 0;
        foreach (var v in x)
        {
            if (MathF.Abs(v) > amax)
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }
        return max;
    }

    private static void Q8_0Block(ReadOnlySpan<float> x, Span<byte> block)
    {
        var amax = 0f;
        foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
        var d = amax / 127;
        var id = d != 0 ? 1 / d : 0;
        WriteHalf(block, 0, d);
        for (var j = 0; j < 32; j++) block[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
    }

    private static void Q4_0Block(ReadOnlySpan<float> x, Span<byte> block)
    {
        var d = SignedMaxMagnitude(x) / -8;
        var id = d != 0 ? 1 / d : 0;
        WriteHalf(block, 0, d);
        for (var j = 0; j < 16; j++)
        {
            var low = Math.Min(15, (int)(x[j] * id + 8.5f));
            var high = Math.Min(15, (int)(x[j + 16] * id + 8.5f));
            block[2 + j] = (byte)(low | (high << 4));
        }
    }

    private static void Q5_0Block(ReadOnlySpan<float> x, Span<byte> block)
    {
        var d = SignedMaxMagnitude(x) / -16;
        var id = d != 0 ? 1 / d : 0;
        WriteHalf(block, 0, d);
        uint qh = 0;
        for (var j = 0; j < 16; j++)
        {
            var low = Math.Min(31, (int)(x[j] * id + 16.5f));
            var high = Math.Min(31, (int)(x[j + 16] * id + 16.5f));
            block[6 + j] = (byte)((low & 0x0F) | ((high & 0x0F) << 4));
            qh |= (uint)((low >> 4) & 1) << j;
            qh |= (uint)((high >> 4) & 1) << (j + 16);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(block[2..], qh);
    }
}
