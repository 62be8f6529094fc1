using System.Buffers.Binary;
using System.Text;

namespace ModelRace.Local.Gguf;

/// <summary>
/// Parses the GGUF header (metadata and tensor infos) from untrusted bytes.
/// Every length and count is checked against the bytes that remain before it is used,
/// so a hostile file gives a <see cref="GgufFormatException"/>, never an out-of-range read or a huge allocation.
/// </summary>
internal ref struct GgufHeaderParser
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    private const int MaxArrayNesting = 8;

    private readonly ReadOnlySpan<byte> _bytes;
    private int _position;

    public GgufHeaderParser(ReadOnlySpan<byte> bytes)
    {
        _bytes = bytes;
        _position = 0;
    }

    public int Position => _position;

    public (uint Version, List<KeyValuePair<string, GgufValue>> Metadata, List<GgufTensorInfo> Tensors) Parse(long fileLength)
    {
        if (_bytes.Length < 4) throw new GgufFormatException($"truncated file: {_bytes.Length} bytes is too short to be GGUF");
        var magic = ReadUInt32("magic");
        if (magic != Magic)
            throw new GgufFormatException($"wrong magic 0x{magic:X8} at offset 0: not a GGUF file (expected the bytes 'GGUF')");
        var version = ReadUInt32("version");
        if (version is not (2 or 3))
        {
            var hint = version is 1 ? " (version 1 files predate 64-bit counts; convert them with a current llama.cpp)"
                : BinaryPrimitives.ReverseEndianness(version) is 2 or 3 ? " (this looks like a big-endian GGUF file, which is not supported)"
                : "";
            throw new GgufFormatException($"unsupported GGUF version {version}; versions 2 and 3 are supported{hint}");
        }

        var tensorCount = ReadUInt64("tensor count");
        var kvCount = ReadUInt64("metadata key count");
        // A key-value pair needs at least 12 bytes (key length + type) and a tensor info at least 24,
        // so larger counts cannot be genuine: reject them before allocating anything.
        if (kvCount > (ulong)Remaining / 12)
            throw new GgufFormatException($"absurd metadata key count {kvCount}: the {Remaining} bytes after offset {_position} hold at most {Remaining / 12} (truncated or corrupt file of {fileLength} bytes)");
        if (tensorCount > (ulong)Remaining / 24)
            throw new GgufFormatException($"absurd tensor count {tensorCount}: the {Remaining} bytes after offset {_position} hold at most {Remaining / 24} (truncated or corrupt file of {fileLength} bytes)");

        // Capacities start small: the counts passed the coarse check above but are still unverified.
        var metadata = new List<KeyValuePair<string, GgufValue>>((int)Math.Min(kvCount, 1024));
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = ReadString($"key #{i}");
            var type = (GgufValueType)ReadUInt32($"type of '{key}'");
            metadata.Add(new(key, ReadValue(type, key, 0)));
        }

        var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 1024));
        for (ulong i = 0; i < tensorCount; i++)
        {
            var name = ReadString($"tensor #{i} name");
            var nDims = ReadUInt32($"dimension count of tensor '{name}'");
            if (nDims is 0 or > 4) throw new GgufFormatException($"tensor '{name}' has {nDims} dimensions; GGUF allows 1 to 4");
            var dims = new long[nDims];
            for (var d = 0; d < nDims; d++)
            {
                var size = ReadUInt64($"dimension {d} of tensor '{name}'");
                if (size > (ulong)fileLength * 8) throw new GgufFormatException($"tensor '{name}' dimension {d} = {size} cannot fit in a file of {fileLength} bytes");
                dims[d] = (long)size;
            }
            var rawType = ReadUInt32($"type of tensor '{name}'");
            var type = (GgmlType)rawType;
            if (!GgmlTypeInfo.TryGet(type, out var blockSize, out _))
                throw new GgufFormatException($"tensor '{name}' has unknown tensor type {rawType}");
            if (dims[0] % blockSize != 0)
                throw new GgufFormatException($"tensor '{name}' row length {dims[0]} is not a multiple of the {type} block size {blockSize}");
            var offset = ReadUInt64($"offset of tensor '{name}'");
            tensors.Add(new GgufTensorInfo(name, dims, type, offset));
        }
        return (version, metadata, tensors);
    }

    private readonly int Remaining => _bytes.Length - _position;

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || count > Remaining)
            throw new GgufFormatException($"truncated file: {what} needs {count} bytes at offset {_position}, but only {Remaining} remain");
        var span = _bytes.Slice(_position, count);
        _position += count;
        return span;
    }

    private uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    private ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    private string ReadString(string what)
    {
        var length = ReadUInt64($"length of {what}");
        if (length > (ulong)Remaining)
            throw new GgufFormatException($"string length {length} of {what} at offset {_position - 8} runs past the end of the file");
        return Encoding.UTF8.GetString(Take((int)length, what));
    }

    private object ReadScalar(GgufValueType type, string key)
    {
        var what = $"value of '{key}'";
        return type switch
        {
            GgufValueType.UInt8 => Take(1, what)[0],
            GgufValueType.Int8 => (sbyte)Take(1, what)[0],
            GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what)),
            GgufValueType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(Take(2, what)),
            GgufValueType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what)),
            GgufValueType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what)),
            GgufValueType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what)),
            GgufValueType.Bool => Take(1, what)[0] switch
            {
                0 => false, 1 => true,
                var b => throw new GgufFormatException($"'{key}' holds {b}, which is not a valid bool"),
            },
            GgufValueType.String => ReadString(what),
            GgufValueType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what)),
            GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(Take(8, what)),
            GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what)),
            _ => throw new GgufFormatException($"'{key}' has unknown metadata value type {(uint)type}"),
        };
    }

    private GgufValue ReadValue(GgufValueType type, string key, int depth)
    {
        if (type != GgufValueType.Array) return new GgufValue(type, ReadScalar(type, key));
        if (depth >= MaxArrayNesting) throw new GgufFormatException($"'{key}' nests arrays more than {MaxArrayNesting} deep");
        var elementType = (GgufValueType)ReadUInt32($"array element type of '{key}'");
        var count = ReadUInt64($"array length of '{key}'");
        var minElementBytes = elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1UL,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2UL,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4UL,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8UL,
            GgufValueType.Array => 12UL,
            _ => throw new GgufFormatException($"'{key}' is an array of unknown value type {(uint)elementType}"),
        };
        if (count > (ulong)Remaining / minElementBytes)
            throw new GgufFormatException($"array '{key}' claims {count} items, more than the file can hold: only {Remaining} bytes remain after offset {_position} (truncated or corrupt file)");
        var n = (int)count;
        var what = $"items of '{key}'";
        IReadOnlyList<object> items = elementType switch
        {
            // Numeric arrays (token scores, token types, merges ranks) are kept unboxed: a few bytes per item, not ~30.
            GgufValueType.UInt8 => new UnboxedList<byte>(Take(n, what).ToArray()),
            GgufValueType.Int8 => new UnboxedList<sbyte>(ReadNumbers<sbyte>(n, what)),
            GgufValueType.UInt16 => new UnboxedList<ushort>(ReadNumbers<ushort>(n, what)),
            GgufValueType.Int16 => new UnboxedList<short>(ReadNumbers<short>(n, what)),
            GgufValueType.UInt32 => new UnboxedList<uint>(ReadNumbers<uint>(n, what)),
            GgufValueType.Int32 => new UnboxedList<int>(ReadNumbers<int>(n, what)),
            GgufValueType.Float32 => new UnboxedList<float>(ReadNumbers<float>(n, what)),
            GgufValueType.UInt64 => new UnboxedList<ulong>(ReadNumbers<ulong>(n, what)),
            GgufValueType.Int64 => new UnboxedList<long>(ReadNumbers<long>(n, what)),
            GgufValueType.Float64 => new UnboxedList<double>(ReadNumbers<double>(n, what)),
            _ => ReadBoxed(elementType, key, n, depth),
        };
        return new GgufValue(GgufValueType.Array, new GgufArray(elementType, items));
    }

    private T[] ReadNumbers<T>(int count, string what) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("GGUF reading needs a little-endian machine");
        var bytes = Take(checked(count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()), what);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    private object[] ReadBoxed(GgufValueType elementType, string key, int count, int depth)
    {
        var items = new object[count];
        for (var i = 0; i < count; i++)
            items[i] = elementType == GgufValueType.Array ? ReadValue(GgufValueType.Array, key, depth + 1).Value : ReadScalar(elementType, key);
        return items;
    }
}
