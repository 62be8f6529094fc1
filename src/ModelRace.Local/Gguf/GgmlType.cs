namespace ModelRace.Local.Gguf;

/// <summary>Tensor element types, numbered as in ggml.h.</summary>
public enum GgmlType : uint
{
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35,
}

/// <summary>Block geometry of each type: a row is stored as (elements / BlockSize) blocks of BlockBytes bytes.</summary>
public static class GgmlTypeInfo
{
    public const int QK_K = 256;

    public static bool TryGet(GgmlType type, out int blockSize, out int blockBytes)
    {
        (blockSize, blockBytes) = type switch
        {
            GgmlType.F32 => (1, 4), GgmlType.F16 => (1, 2), GgmlType.BF16 => (1, 2), GgmlType.F64 => (1, 8),
            GgmlType.I8 => (1, 1), GgmlType.I16 => (1, 2), GgmlType.I32 => (1, 4), GgmlType.I64 => (1, 8),
            GgmlType.Q4_0 => (32, 18), GgmlType.Q4_1 => (32, 20), GgmlType.Q5_0 => (32, 22), GgmlType.Q5_1 => (32, 24),
            GgmlType.Q8_0 => (32, 34), GgmlType.Q8_1 => (32, 36),
            GgmlType.Q2_K => (QK_K, 84), GgmlType.Q3_K => (QK_K, 110), GgmlType.Q4_K => (QK_K, 144),
            GgmlType.Q5_K => (QK_K, 176), GgmlType.Q6_K => (QK_K, 210), GgmlType.Q8_K => (QK_K, 292),
            GgmlType.IQ2_XXS => (QK_K, 66), GgmlType.IQ2_XS => (QK_K, 74), GgmlType.IQ3_XXS => (QK_K, 98),
            GgmlType.IQ1_S => (QK_K, 50), GgmlType.IQ4_NL => (32, 18), GgmlType.IQ3_S => (QK_K, 110),
            GgmlType.IQ2_S => (QK_K, 82), GgmlType.IQ4_XS => (QK_K, 136), GgmlType.IQ1_M => (QK_K, 56),
            GgmlType.TQ1_0 => (QK_K, 54), GgmlType.TQ2_0 => (QK_K, 66),
            _ => (0, 0),
        };
        return blockSize > 0;
    }

    public static int BlockSize(GgmlType type) => TryGet(type, out var size, out _) ? size : throw Unknown(type);
    public static int BlockBytes(GgmlType type) => TryGet(type, out _, out var bytes) ? bytes : throw Unknown(type);

    /// <summary>Bytes taken by a row of <paramref name="elements"/> values; the row must be whole blocks.</summary>
    public static long RowBytes(GgmlType type, long elements)
    {
        var blockSize = BlockSize(type);
        if (elements % blockSize != 0)
            throw new GgufFormatException($"a {type} row must hold a multiple of {blockSize} values, not {elements}");
        return elements / blockSize * BlockBytes(type);
    }

    private static GgufFormatException Unknown(GgmlType type) => new($"unknown tensor type {(uint)type}");
}
