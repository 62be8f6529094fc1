using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ModelRace.Local.Gguf;

/// <summary>
/// A GGUF file opened for reading. Tensor data stays memory-mapped: <see cref="TensorData"/> hands out
/// views of the mapping, so weights are never copied into managed arrays.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    public const string AlignmentKey = "general.alignment";
    public const int DefaultAlignment = 32;

    private readonly MemoryMappedFile? _mapping;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly GCHandle _pinned;
    /// <summary>The open file behind the mapping (null for bytes in memory), for <see cref="ReadBypassingMapping"/>.</summary>
    private readonly SafeFileHandle? _fileHandle;
    private readonly byte* _base;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;
    private bool _disposed;

    public string Path { get; }
    public long Length { get; }
    public uint Version { get; }
    public int Alignment { get; }
    /// <summary>Absolute file offset where tensor data begins.</summary>
    public long DataOffset { get; }
    /// <summary>Metadata in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> MetadataList { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    private GgufFile(string path, long length, byte* basePointer, MemoryMappedFile? mapping, MemoryMappedViewAccessor? view, GCHandle pinned, SafeFileHandle? fileHandle = null)
    {
        _fileHandle = fileHandle;
        Path = path;
        Length = length;
        _base = basePointer;
        _mapping = mapping;
        _view = view;
        _pinned = pinned;
        try
        {
            var headerBytes = new ReadOnlySpan<byte>(basePointer, (int)Math.Min(length, int.MaxValue));
            var parser = new GgufHeaderParser(headerBytes);
            var (version, metadata, tensors) = parser.Parse(length);
            Version = version;
            MetadataList = metadata;
            var byKey = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
            foreach (var (key, value) in metadata)
                if (!byKey.TryAdd(key, value)) throw new GgufFormatException($"metadata key '{key}' appears twice");
            Metadata = byKey;
            Alignment = ReadAlignment(byKey);
            DataOffset = AlignUp(parser.Position, Alignment);
            Tensors = tensors;
            _tensorsByName = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
            foreach (var tensor in tensors)
            {
                if (!_tensorsByName.TryAdd(tensor.Name, tensor)) throw new GgufFormatException($"tensor '{tensor.Name}' appears twice");
                CheckBounds(tensor);
            }
        }
        catch
        {
            ReleaseResources();
            throw;
        }
    }

    /// <summary>Opens and memory-maps a GGUF file.</summary>
    public static GgufFile Open(string path)
    {
        var length = new FileInfo(path) is { Exists: true } info ? info.Length : throw new FileNotFoundException($"GGUF file not found: {path}", path);
        if (length < 24) throw new GgufFormatException($"{path}: truncated file: {length} bytes is too short to be GGUF");
        var fileHandle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            mapping = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            view = mapping.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointer += view.PointerOffset;
            try
            {
                return new GgufFile(path, length, pointer, mapping, view, default, fileHandle);
            }
            catch (GgufFormatException e)
            {
                throw new GgufFormatException($"{path}: {e.Message}");
            }
        }
        catch
        {
            view?.Dispose();
            mapping?.Dispose();
            fileHandle.Dispose();
            throw;
        }
    }

    /// <summary>Reads GGUF from bytes in memory (tests and fuzzing); the array is pinned until disposal.</summary>
    public static GgufFile FromBytes(byte[] bytes, string name = "<memory>")
    {
        var handle = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        // From here the constructor owns the handle: on a malformed file it frees it itself. Freeing it here too (a
        // struct copy still says IsAllocated) handed its slot out twice, which unpinned other models' bytes.
        return new GgufFile(name, bytes.Length, (byte*)handle.AddrOfPinnedObject(), null, null, handle);
    }

    public GgufTensorInfo? FindTensor(string name) => _tensorsByName.GetValueOrDefault(name);

    public GgufTensorInfo GetTensor(string name) =>
        FindTensor(name) ?? throw new GgufFormatException($"{Path}: the model has no tensor named '{name}'");

    /// <summary>Pointer to a tensor's first byte inside the mapping; valid until this file is disposed.</summary>
    public byte* TensorPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _base + DataOffset + (long)tensor.Offset;
    }

    /// <summary>The tensor's bytes, as a view of the mapping (no copy). Tensors over 2 GiB need <see cref="TensorPointer"/>.</summary>
    public ReadOnlySpan<byte> TensorData(GgufTensorInfo tensor)
    {
        var size = tensor.ByteSize;
        if (size > int.MaxValue) throw new NotSupportedException($"tensor '{tensor.Name}' is {size} bytes; use TensorPointer for tensors over 2 GiB");
        return new ReadOnlySpan<byte>(TensorPointer(tensor), (int)size);
    }

    /// <summary>
    /// Copies <paramref name="destination"/>.Length bytes of tensor data, starting at <paramref name="source"/> (a
    /// pointer into this file's data, as <see cref="TensorPointer"/> gives), by reading the file rather than the
    /// mapping. For data read a little at a time and out of order, such as token embedding rows: each touch of the
    /// mapping maps the neighbouring pages too (the kernel's fault-around), so a few hundred distinct tokens left half of
    /// a 35 MiB embedding table resident in this process, where reads leave it in the page cache alone.
    /// </summary>
    public void ReadBypassingMapping(byte* source, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var offset = source - _base;
        if (offset < DataOffset || offset > Length - destination.Length)
            throw new ArgumentOutOfRangeException(nameof(source), $"{destination.Length} bytes at file offset {offset} are not tensor data of {Path}");
        if (_fileHandle is null)
        {
            new ReadOnlySpan<byte>(source, destination.Length).CopyTo(destination);
            return;
        }
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(_fileHandle, destination, offset);
            if (read == 0) throw new EndOfStreamException($"{Path} ended at offset {offset}, inside its tensor data; was it truncated while open?");
            destination = destination[read..];
            offset += read;
        }
    }

    public GgufValue? Find(string key) => Metadata.GetValueOrDefault(key);

    public string? GetString(string key) => Find(key)?.Value as string;

    public long? GetInteger(string key) => Find(key)?.AsInt64();

    public double? GetFloat(string key) => Find(key)?.AsDouble();

    public bool? GetBool(string key) => Find(key)?.Value as bool?;

    public GgufArray? GetArray(string key) => Find(key)?.Value as GgufArray;

    /// <summary>general.architecture, e.g. "llama" or "qwen2".</summary>
    public string? Architecture => GetString("general.architecture");

    private static int ReadAlignment(Dictionary<string, GgufValue> metadata)
    {
        if (!metadata.TryGetValue(AlignmentKey, out var value)) return DefaultAlignment;
        var alignment = value.AsInt64();
        if (alignment <= 0 || alignment > 1 << 20 || (alignment & (alignment - 1)) != 0)
            throw new GgufFormatException($"{AlignmentKey} = {alignment} is not a power of two up to 1 MiB");
        return (int)alignment;
    }

    private void CheckBounds(GgufTensorInfo tensor)
    {
        long size;
        try
        {
            size = checked(GgmlTypeInfo.RowBytes(tensor.Type, tensor.RowLength) * tensor.RowCount);
            _ = checked(tensor.Dimensions.Aggregate(1L, (a, b) => a * b));
        }
        catch (OverflowException)
        {
            throw new GgufFormatException($"tensor '{tensor.Name}' has dimensions too large to address");
        }
        if (tensor.Offset % (ulong)Alignment != 0)
            throw new GgufFormatException($"tensor '{tensor.Name}' offset {tensor.Offset} is not aligned to {Alignment}");
        var available = Length - DataOffset;
        if (tensor.Offset > (ulong)Math.Max(available, 0) || size > available - (long)tensor.Offset)
            throw new GgufFormatException(
                $"tensor '{tensor.Name}' ({tensor.Type}, {size} bytes at data offset {tensor.Offset}) runs past the end of the file ({Length} bytes)");
    }

    public static long AlignUp(long value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private void ReleaseResources()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _mapping?.Dispose();
        _fileHandle?.Dispose();
        if (_pinned.IsAllocated) _pinned.Free();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ReleaseResources();
    }
}
