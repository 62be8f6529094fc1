using System.Buffers.Binary;
using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Local.Tensors;

/// <summary>
/// Turns rows of any supported tensor type into floats. This is the reference path: the fast kernels
/// fuse dequantization into dot products and are checked against it. Block layouts follow ggml-common.h.
/// </summary>
public static class Dequantize
{
    public static bool IsSupported(GgmlType type) => BlockDecode.IsSupported(type);

    /// <summary>Dequantizes <paramref name="destination"/>.Length values from whole blocks in <paramref name="source"/>.</summary>
    public static void Row(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        var needed = GgmlTypeInfo.RowBytes(type, destination.Length);
        if (source.Length < needed) throw new ArgumentException($"{type}: {destination.Length} values need {needed} bytes, got {source.Length}");
        source = source[..(int)needed];
        switch (type)
        {
            case GgmlType.F32:
                for (var i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
                break;
            case GgmlType.F16:
                for (var i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]);
                break;
            case GgmlType.BF16:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16);
                break;
            case GgmlType.Q8_0: Blocks(source, destination, 34, 32, BlockDecode.Q8_0); break;
            case GgmlType.Q4_0: Blocks(source, destination, 18, 32, BlockDecode.Q4_0); break;
            case GgmlType.Q5_0: Blocks(source, destination, 22, 32, BlockDecode.Q5_0); break;
            case GgmlType.Q4_K: Blocks(source, destination, 144, 256, BlockDecode.Q4_K); break;
            case GgmlType.Q5_K: Blocks(source, destination, 176, 256, BlockDecode.Q5_K); break;
            case GgmlType.Q6_K: Blocks(source, destination, 210, 256, BlockDecode.Q6_K); break;
            default:
                throw new NotSupportedException($"dequantizing {type} is not supported");
        }
    }

    /// <summary>Dequantizes row <paramref name="row"/> of a 2-D tensor.</summary>
    public static void TensorRow(GgufFile file, GgufTensorInfo tensor, long row, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, tensor.RowCount);
        var rowBytes = GgmlTypeInfo.RowBytes(tensor.Type, tensor.RowLength);
        unsafe
        {
            var pointer = file.TensorPointer(tensor) + row * rowBytes;
            Row(tensor.Type, new ReadOnlySpan<byte>(pointer, (int)rowBytes), destination[..(int)tensor.RowLength]);
        }
    }

    /// <summary>Dequantizes a whole tensor (any shape) into <paramref name="destination"/>, row by row.</summary>
    public static void Tensor(GgufFile file, GgufTensorInfo tensor, Span<float> destination)
    {
        if (destination.Length < tensor.ElementCount)
            throw new ArgumentException($"tensor '{tensor.Name}' has {tensor.ElementCount} values; the destination holds {destination.Length}");
        var rowLength = (int)tensor.RowLength;
        for (long row = 0; row < tensor.RowCount; row++)
            TensorRow(file, tensor, row, destination.Slice((int)(row * rowLength), rowLength));
    }

    private delegate void BlockDecoder(ReadOnlySpan<byte> block, Span<float> values);

    private static void Blocks(ReadOnlySpan<byte> source, Span<float> destination, int blockBytes, int blockSize, BlockDecoder decode)
    {
        for (int b = 0, count = destination.Length / blockSize; b < count; b++)
            decode(source.Slice(b * blockBytes, blockBytes), destination.Slice(b * blockSize, blockSize));
    }

    private static float Half(ReadOnlySpan<byte> bytes, int offset) => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[offset..]);
}
