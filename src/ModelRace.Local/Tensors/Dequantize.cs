using System.Buffers.Binary;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tensors;

/// <summary>
/// Turns rows of any supported tensor type into floats. This is the reference path: the fast kernels
/// fuse dequantization into dot products and are checked against it.
/// </summary>
public static class Dequantize
{
    public static bool IsSupported(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    /// <summary>Dequantizes <paramref name="destination"/>.Length values from whole blocks in <paramref name="source"/>.</summary>
    public static void Row(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        var needed = GgmlTypeInfo.RowBytes(type, destination.Length);
        if (source.Length < needed) throw new ArgumentException($"{type}: {destination.Length} values need {needed} bytes, got {source.Length}");
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
            default:
                throw new NotSupportedException($"dequantizing {type} is not supported");
        }
    }

    /// <summary>Dequantizes row <paramref name="row"/> of a 2-D tensor.</summary>
    public static void TensorRow(GgufFile file, GgufTensorInfo tensor, long row, Span<float> destination)
    {
        var rowBytes = GgmlTypeInfo.RowBytes(tensor.Type, tensor.RowLength);
        unsafe
        {
            var pointer = file.TensorPointer(tensor) + row * rowBytes;
            Row(tensor.Type, new ReadOnlySpan<byte>(pointer, (int)rowBytes), destination[..(int)tensor.RowLength]);
        }
    }
}
