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
    public static GgufValue Of(byte value) => new(GgufValueType.UInt8, value);
    public static GgufValue Of(sbyte value) => new(GgufValueType.Int8, value);
    public static GgufValue Of(ushort value) => new(GgufValueType.UInt16, value);
    public static GgufValue Of(short value) => new(GgufValueType.Int16, value);
    public static GgufValue Of(uint value) => new(GgufValueType.UInt32, value);
    public static GgufValue Of(int value) => new(GgufValueType.Int32, value);
    public static GgufValue Of(ulong value) => new(GgufValueType.UInt64, value);
    public static GgufValue Of(long value) => new(GgufValueType.Int64, value);
    public static GgufValue Of(float value) => new(GgufValueType.Float32, value);
    public static GgufValue Of(double value) => new(GgufValueType.Float64, value);
    public static GgufValue Of(bool value) => new(GgufValueType.Bool, value);
    public static GgufValue Of(string value) => new(GgufValueType.String, value);

    /// <summary>An array; nested arrays are given as <see cref="GgufArray"/> items.</summary>
    public static GgufValue ArrayOf(GgufValueType elementType, IEnumerable<object> items) =>
        new(GgufValueType.Array, new GgufArray(elementType, items.ToArray()));

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
    public IEnumerable<T> As<T>() => Items is UnboxedList<T> typed ? typed.Values : Items.Cast<T>();

    /// <summary>The items as a typed array (no boxing for numeric arrays read from a file).</summary>
    public T[] ToArray<T>() => Items is UnboxedList<T> typed ? (T[])typed.Values.Clone() : Items.Cast<T>().ToArray();

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

/// <summary>A read-only list of numbers stored unboxed, seen as objects to fit <see cref="GgufArray.Items"/>.</summary>
internal sealed class UnboxedList<T>(T[] values) : IReadOnlyList<object>
{
    public T[] Values { get; } = values;
    public int Count => Values.Length;
    public object this[int index] => Values[index]!;

    public IEnumerator<object> GetEnumerator()
    {
        foreach (var value in Values) yield return value!;
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
