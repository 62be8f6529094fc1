using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ModelRace.Local.Gguf;

namespace ModelRace.Benchmarks;

/// <summary>
/// Weight rows of random bytes in native memory (where the runtime's weights live: the memory-mapped file), with every
/// fp16 scale rewritten to a small positive value so no block decodes to infinities or NaNs.
/// </summary>
public static unsafe class RandomWeights
{
    /// <summary>rows × columns weights of <paramref name="type"/>, 64-byte aligned; release with <see cref="Free"/>.</summary>
    public static byte* Allocate(GgmlType type, int rows, int columns, int seed)
    {
        var rowBytes = GgmlTypeInfo.RowBytes(type, columns);
        var total = checked((nuint)(rows * rowBytes));
        var data = (byte*)NativeMemory.AlignedAlloc(total, 64);
        var bytes = new Span<byte>(data, checked((int)total));
        var random = new Random(seed);
        random.NextBytes(bytes);
        if (type is GgmlType.F16) FillHalves(MemoryMarshal.Cast<byte, Half>(bytes), random);
        else if (type is GgmlType.F32) foreach (ref var v in MemoryMarshal.Cast<byte, float>(bytes)) v = SmallWeight(random);
        else if (type is GgmlType.BF16)
            foreach (ref var v in MemoryMarshal.Cast<byte, ushort>(bytes)) v = (ushort)(BitConverter.SingleToUInt32Bits(SmallWeight(random)) >> 16);
        else FixBlockScales(type, bytes, random);
        return data;
    }

    public static void Free(byte* data) => NativeMemory.AlignedFree(data);

    /// <summary>Activations in [−2, 2), like a normed hidden state.</summary>
    public static float[] Activations(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 4 - 2);
        return values;
    }

    private static float SmallWeight(Random random) => (float)(random.NextDouble() * 0.1 - 0.05);

    private static void FillHalves(Span<Half> values, Random random)
    {
        foreach (ref var v in values) v = (Half)SmallWeight(random);
    }

    private static void FixBlockScales(GgmlType type, Span<byte> bytes, Random random)
    {
        var blockBytes = GgmlTypeInfo.BlockBytes(type);
        for (var start = 0; start < bytes.Length; start += blockBytes)
        {
            var block = bytes.Slice(start, blockBytes);
            switch (type)
            {
                case GgmlType.Q6_K: BinaryPrimitives.WriteHalfLittleEndian(block[208..], Scale(random)); break;
                case GgmlType.Q4_K or GgmlType.Q5_K:
                    BinaryPrimitives.WriteHalfLittleEndian(block, Scale(random));
                    BinaryPrimitives.WriteHalfLittleEndian(block[2..], Scale(random));
                    break;
                default: BinaryPrimitives.WriteHalfLittleEndian(block, Scale(random)); break;
            }
        }
    }

    private static Half Scale(Random random) => (Half)(0.001 + random.NextDouble() * 0.05);
}
