using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Dot product of one stored weight row with float activations, dequantizing block by block on the fly.
/// Activations stay float (this runtime does not quantize them to Q8 as llama.cpp does; see ../Model/README.md).
/// </summary>
public static unsafe class RowDot
{
    /// <summary>Floats decoded at a time: one K-quant super-block, or eight 32-value blocks.</summary>
    private const int Chunk = 256;

    public static float Dot(GgmlType type, byte* row, ReadOnlySpan<float> x) => type switch
    {
        GgmlType.F32 => DotF32(row, x),
        GgmlType.F16 => DotF16(row, x),
        GgmlType.BF16 => DotBF16(row, x),
        GgmlType.Q8_0 => DotBlocks(row, x, 32, 34, &BlockDecode.Q8_0),
        GgmlType.Q4_0 => DotBlocks(row, x, 32, 18, &BlockDecode.Q4_0),
        GgmlType.Q5_0 => DotBlocks(row, x, 32, 22, &BlockDecode.Q5_0),
        GgmlType.Q4_K => DotBlocks(row, x, 256, 144, &BlockDecode.Q4_K),
        GgmlType.Q5_K => DotBlocks(row, x, 256, 176, &BlockDecode.Q5_K),
        GgmlType.Q6_K => DotBlocks(row, x, 256, 210, &BlockDecode.Q6_K),
        _ => throw new NotSupportedException($"weights of type {type} are not supported"),
    };

    /// <summary>
    /// One float-type weight row (F32, F16, BF16) against <paramref name="batch"/> activation rows of x.Length / batch
    /// values: each 256-value chunk is decoded once and dotted with every row, summing in the same order as
    /// <see cref="Dot"/>, so a row's result does not depend on the batch it came in.
    /// </summary>
    public static void DotMany(GgmlType type, byte* row, ReadOnlySpan<float> x, int batch, float* y, long yStride)
    {
        var columns = x.Length / batch;
        Span<float> w = stackalloc float[Chunk];
        Span<float> sums = stackalloc float[batch];
        sums.Clear();
        for (var start = 0; start < columns; start += Chunk)
        {
            var n = Math.Min(Chunk, columns - start);
            var decoded = w[..n];
            switch (type)
            {
                case GgmlType.F32: new ReadOnlySpan<float>((float*)row + start, n).CopyTo(decoded); break;
                case GgmlType.F16:
                    fixed (float* destination = decoded) Simd.WidenHalves((ushort*)row + start, destination, n);
                    break;
                case GgmlType.BF16:
                    var bits = (ushort*)row + start;
                    var asInt = MemoryMarshal.Cast<float, int>(decoded);
                    for (var i = 0; i < n; i++) asInt[i] = bits[i] << 16;
                    break;
                default: throw new NotSupportedException($"{type} is not a float weight type");
            }
            for (var b = 0; b < batch; b++) sums[b] += TensorPrimitives.Dot(decoded, x.Slice(b * columns + start, n));
        }
        for (var b = 0; b < batch; b++) y[b * yStride] = sums[b];
    }

    /// <summary>Dequantizes a whole row (embedding lookups, tests).</summary>
    public static void Decode(GgmlType type, byte* row, Span<float> y)
    {
        switch (type)
        {
            case GgmlType.F32: new ReadOnlySpan<float>(row, y.Length).CopyTo(y); return;
            case GgmlType.F16:
                fixed (float* destination = y) Simd.WidenHalves((ushort*)row, destination, y.Length);
                return;
            case GgmlType.BF16:
                var bits = new ReadOnlySpan<ushort>(row, y.Length);
                for (var i = 0; i < y.Length; i++) y[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
                return;
        }
        var size = GgmlTypeInfo.BlockSize(type);
        var bytes = GgmlTypeInfo.BlockBytes(type);
        delegate*<ReadOnlySpan<byte>, Span<float>, void> decode = type switch
        {
            GgmlType.Q8_0 => &BlockDecode.Q8_0,
            GgmlType.Q4_0 => &BlockDecode.Q4_0,
            GgmlType.Q5_0 => &BlockDecode.Q5_0,
            GgmlType.Q4_K => &BlockDecode.Q4_K,
            GgmlType.Q5_K => &BlockDecode.Q5_K,
            GgmlType.Q6_K => &BlockDecode.Q6_K,
            _ => throw new NotSupportedException($"weights of type {type} are not supported"),
        };
        for (var b = 0; b < y.Length / size; b++)
            decode(new ReadOnlySpan<byte>(row + (long)b * bytes, bytes), y.Slice(b * size, size));
    }

    /// <summary>Chunk by chunk, as <see cref="DotMany"/> sums, so a row's result does not depend on its batch.</summary>
    private static float DotF32(byte* row, ReadOnlySpan<float> x)
    {
        var sum = 0f;
        for (var start = 0; start < x.Length; start += Chunk)
        {
            var n = Math.Min(Chunk, x.Length - start);
            sum += TensorPrimitives.Dot(new ReadOnlySpan<float>((float*)row + start, n), x.Slice(start, n));
        }
        return sum;
    }

    private static float DotF16(byte* row, ReadOnlySpan<float> x)
    {
        Span<float> w = stackalloc float[Chunk];
        var halves = (Half*)row;
        var sum = 0f;
        for (var start = 0; start < x.Length; start += Chunk)
        {
            var n = Math.Min(Chunk, x.Length - start);
            fixed (float* destination = w) Simd.WidenHalves((ushort*)halves + start, destination, n);
            sum += TensorPrimitives.Dot(w[..n], x.Slice(start, n));
        }
        return sum;
    }

    private static float DotBF16(byte* row, ReadOnlySpan<float> x)
    {
        Span<float> w = stackalloc float[Chunk];
        var bits = (ushort*)row;
        var sum = 0f;
        for (var start = 0; start < x.Length; start += Chunk)
        {
            var n = Math.Min(Chunk, x.Length - start);
            var asInt = MemoryMarshal.Cast<float, int>(w);
            for (var i = 0; i < n; i++) asInt[i] = bits[start + i] << 16;
            sum += TensorPrimitives.Dot(w[..n], x.Slice(start, n));
        }
        return sum;
    }

    private static float DotBlocks(byte* row, ReadOnlySpan<float> x, int blockSize, int blockBytes,
        delegate*<ReadOnlySpan<byte>, Span<float>, void> decode)
    {
        Span<float> w = stackalloc float[Chunk];
        var perChunk = Chunk / blockSize;
        var blocks = x.Length / blockSize;
        var sum = 0f;
        for (var b = 0; b < blocks; b += perChunk)
        {
            var count = Math.Min(perChunk, blocks - b);
            for (var i = 0; i < count; i++)
                decode(new ReadOnlySpan<byte>(row + (long)(b + i) * blockBytes, blockBytes), w.Slice(i * blockSize, blockSize));
            var n = count * blockSize;
            sum += TensorPrimitives.Dot(w[..n], x.Slice(b * blockSize, n));
        }
        return sum;
    }
}
