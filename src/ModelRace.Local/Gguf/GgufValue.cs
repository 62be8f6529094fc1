namespace ModelRace.Local.Gguf;

/// <summary>Metadata value types, numbered as in the GGUF specification.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>
/// One metadata value. Scalars are boxed .NET primitives, strings are strings, and arrays are
/// <see cref="GgufArray"/> (whose items may themselves be arrays).
/// </summary>
public sealed record GgufValue(GgufValueType Type, object Value)
{
    public override string ToString() => Value switch
    {
        GgufArray a => a.ToString(),
        string s => s,
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => Value.ToString() ?? "",
    };

    public long AsInt64() => Value switch
    {
        byte v => v, sbyte v => v, ushort v => v, short v => v, uint v => v, int v => v, long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        bool v => v ? 1 : 0,
        _ => throw new GgufFormatException($"metadata value of type {Type} is not an integer"),
    };

    public double AsDouble() => Value switch
    {
        float v => v, double v => v,
        _ => AsInt64(),
    };
}

public sealed record GgufArray(GgufValueType ElementType, IReadOnlyList<object> Items)
{
    public IEnumerable<T> As<T>() => Items.Cast<T>();

    public override string ToString()
    {
        const int shown = 6;
        var head = string.Join(", ", Items.Take(shown).Select(i => i is string s ? $"\"{s}\"" : Convert.ToString(i, System.Globalization.CultureInfo.InvariantCulture)));
        return $"[{ElementType} x {Items.Count}: {head}{(Items.Count > shown ? ", …" : "")}]";
    }
}

/// <summary>A tensor's place in the file. Offset is relative to the start of the data section.</summary>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Dimensions, GgmlType Type, ulong Offset)
{
    public long ElementCount => Dimensions.Aggregate(1L, (a, b) => a * b);

    /// <summary>ne[0]: the length of one row (the fastest-varying dimension).</summary>
    public long RowLength => Dimensions.Count == 0 ? 1 : Dimensions[0];

    public long RowCount => RowLength == 0 ? 0 : ElementCount / RowLength;

    public long ByteSize => GgmlTypeInfo.RowBytes(Type, RowLength) * RowCount;
}
