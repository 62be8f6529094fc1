using ModelRace.Local.Gguf;

namespace ModelRace.Local.Kernels;

/// <summary>
/// A 2-D weight tensor as stored in the file: <see cref="Rows"/> rows of <see cref="Columns"/> values each,
/// each row a run of blocks of <see cref="Type"/>. The pointer points into the memory-mapped file.
/// </summary>
public readonly unsafe struct WeightMatrix
{
    public WeightMatrix(string name, GgmlType type, byte* data, int rows, int columns)
    {
        if (!BlockDecode.IsSupported(type)) throw new NotSupportedException($"tensor '{name}' has type {type}, which this runtime does not support");
        Name = name;
        Type = type;
        Data = data;
        Rows = rows;
        Columns = columns;
        RowBytes = GgmlTypeInfo.RowBytes(type, columns);
        HalvesAllFinite = type != GgmlType.F16 || Simd.AllHalvesFinite((ushort*)data, (long)rows * columns);
        SubnormalLines = type == GgmlType.F16 && FloatTiles.SubnormalsStall ? FloatTiles.MapSubnormalLines((ushort*)data, rows, columns) : null;
    }

    public string Name { get; }
    public GgmlType Type { get; }
    public byte* Data { get; }
    public int Rows { get; }
    public int Columns { get; }
    public long RowBytes { get; }
    /// <summary>
    /// F16 only: no weight is infinite or NaN, checked once when the matrix is made (a read of the tensor), so decoding
    /// may take <see cref="FloatTiles"/>' shortcut that cannot represent them. True for every other type.
    /// </summary>
    public bool HalvesAllFinite { get; }
    /// <summary>F16 only: some weight is an fp16 subnormal (nonzero, below 2⁻¹⁴). A read of the whole tensor on each call; the kernels use <see cref="SubnormalLines"/>.</summary>
    public bool HasSubnormalHalves => Type == GgmlType.F16 && Simd.AnyHalfSubnormal((ushort*)Data, (long)Rows * Columns);
    /// <summary>
    /// F16 with subnormal halves, on machines where they stall (<see cref="FloatTiles.SubnormalsStall"/>): one bit per
    /// run of 32 halves of a row (<see cref="FloatTiles.MapSubnormalLines"/>), set where the run holds a subnormal,
    /// built in one read of the tensor when the matrix is made. Null elsewhere, and for a matrix without subnormals.
    /// </summary>
    public ulong[]? SubnormalLines { get; }

    public byte* Row(int index) => Data + index * RowBytes;

    public static WeightMatrix FromTensor(GgufFile file, GgufTensorInfo tensor) =>
        new(tensor.Name, tensor.Type, file.TensorPointer(tensor), checked((int)tensor.RowCount), checked((int)tensor.RowLength));
}
