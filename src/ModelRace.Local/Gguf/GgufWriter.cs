using System.Buffers.Binary;
using System.Text;

namespace ModelRace.Local.Gguf;

/// <summary>
/// Writes a GGUF v3 file to a stream in one pass: declare metadata and tensors, <see cref="WriteHeader"/>,
/// then stream each tensor's bytes in declaration order (in as many pieces as convenient), then <see cref="Finish"/>.
/// Tensor data is never held in memory as a whole, so files of any size can be written.
/// </summary>
public sealed class GgufWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<GgufTensorInfo> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);
    private int _alignment = GgufFile.DefaultAlignment;
    private ulong _nextOffset;
    private bool _headerWritten;
    private int _currentTensor;
    private long _currentWritten;

    public GgufWriter(Stream stream, bool leaveOpen = false)
    {
        if (!stream.CanWrite) throw new ArgumentException("the stream is not writable", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Bytes written so far, header included.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>The size of the header once written (known after <see cref="WriteHeader"/>).</summary>
    public long HeaderBytes { get; private set; }

    /// <summary>Bytes of tensor data (padding included) the declared tensors take.</summary>
    public long DataBytes => (long)_nextOffset;

    public IReadOnlyList<GgufTensorInfo> Tensors => _tensors;

    /// <summary>Adds a metadata pair. <c>general.alignment</c> also sets the alignment of tensor data.</summary>
    public void AddMetadata(string key, GgufValue value)
    {
        EnsureDeclaring();
        if (!_keys.Add(key)) throw new ArgumentException($"metadata key '{key}' was already added", nameof(key));
        CheckValue(key, value.Type, value.Value, 0);
        if (key == GgufFile.AlignmentKey)
        {
            if (_tensors.Count > 0) throw new InvalidOperationException($"set {GgufFile.AlignmentKey} before declaring tensors");
            var alignment = value.AsInt64();
            if (alignment <= 0 || alignment > 1 << 20 || (alignment & (alignment - 1)) != 0)
                throw new ArgumentException($"{GgufFile.AlignmentKey} must be a power of two up to 1 MiB, not {alignment}");
            _alignment = (int)alignment;
        }
        _metadata.Add(new(key, value));
    }

    /// <summary>Declares a tensor; dimensions are ggml's ne[], row length first. Returns its placement.</summary>
    public GgufTensorInfo AddTensor(string name, IReadOnlyList<long> dimensions, GgmlType type)
    {
        EnsureDeclaring();
        if (dimensions.Count is 0 or > 4) throw new ArgumentException($"tensor '{name}' needs 1 to 4 dimensions, not {dimensions.Count}");
        if (dimensions.Any(d => d <= 0)) throw new ArgumentException($"tensor '{name}' has a dimension that is not positive: [{string.Join(", ", dimensions)}]");
        if (!_tensorNames.Add(name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        var info = new GgufTensorInfo(name, dimensions.ToArray(), type, _nextOffset);
        var size = info.ByteSize;
        _nextOffset = (ulong)GgufFile.AlignUp((long)_nextOffset + size, _alignment);
        _tensors.Add(info);
        return info;
    }

    /// <summary>Writes the header and the padding up to the first tensor's data.</summary>
    public void WriteHeader()
    {
        EnsureDeclaring();
        var header = new HeaderBuffer();
        header.UInt32(GgufHeaderParser.Magic);
        header.UInt32(3);
        header.UInt64((ulong)_tensors.Count);
        header.UInt64((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            header.String(key);
            header.UInt32((uint)value.Type);
            WriteValue(header, value.Type, value.Value);
        }
        foreach (var tensor in _tensors)
        {
            header.String(tensor.Name);
            header.UInt32((uint)tensor.Dimensions.Count);
            foreach (var d in tensor.Dimensions) header.UInt64((ulong)d);
            header.UInt32((uint)tensor.Type);
            header.UInt64(tensor.Offset);
        }
        header.Pad(_alignment);
        _headerWritten = true;
        HeaderBytes = header.Length;
        Emit(header.Bytes);
        SkipEmptyTensors();
    }

    /// <summary>Appends bytes to the current tensor; a piece may not run past the tensor's end.</summary>
    public void WriteTensorData(ReadOnlySpan<byte> bytes)
    {
        if (!_headerWritten) throw new InvalidOperationException("call WriteHeader before writing tensor data");
        if (_currentTensor >= _tensors.Count) throw new InvalidOperationException("every declared tensor has already been written");
        var tensor = _tensors[_currentTensor];
        var remaining = tensor.ByteSize - _currentWritten;
        if (bytes.Length > remaining)
            throw new ArgumentException($"tensor '{tensor.Name}' takes {tensor.ByteSize} bytes; {bytes.Length} more would exceed it by {bytes.Length - remaining}");
        Emit(bytes);
        _currentWritten += bytes.Length;
        if (_currentWritten == tensor.ByteSize) CompleteTensor();
    }

    /// <summary>The tensor whose bytes come next, or null when all have been written.</summary>
    public GgufTensorInfo? CurrentTensor => _headerWritten && _currentTensor < _tensors.Count ? _tensors[_currentTensor] : null;

    /// <summary>Checks that every tensor was written in full and flushes.</summary>
    public void Finish()
    {
        if (!_headerWritten) WriteHeader();
        if (_currentTensor < _tensors.Count)
            throw new InvalidOperationException($"tensor '{_tensors[_currentTensor].Name}' was not written in full ({_currentWritten} of {_tensors[_currentTensor].ByteSize} bytes)");
        _stream.Flush();
    }

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }

    private void CompleteTensor()
    {
        var tensor = _tensors[_currentTensor];
        var padding = (int)(GgufFile.AlignUp(tensor.ByteSize, _alignment) - tensor.ByteSize);
        Span<byte> zeros = stackalloc byte[Math.Min(padding, 1024)];
        zeros.Clear();
        while (padding > 0)
        {
            var n = Math.Min(padding, zeros.Length);
            Emit(zeros[..n]);
            padding -= n;
        }
        _currentTensor++;
        _currentWritten = 0;
        SkipEmptyTensors();
    }

    private void SkipEmptyTensors()
    {
        while (_currentTensor < _tensors.Count && _tensors[_currentTensor].ByteSize == 0) _currentTensor++;
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        BytesWritten += bytes.Length;
    }

    private void EnsureDeclaring()
    {
        if (_headerWritten) throw new InvalidOperationException("the header is already written; metadata and tensors must be declared before it");
    }

    private static void CheckValue(string key, GgufValueType type, object value, int depth)
    {
        var ok = (type, value) switch
        {
            (GgufValueType.UInt8, byte) or (GgufValueType.Int8, sbyte) or (GgufValueType.UInt16, ushort) or (GgufValueType.Int16, short) or
            (GgufValueType.UInt32, uint) or (GgufValueType.Int32, int) or (GgufValueType.UInt64, ulong) or (GgufValueType.Int64, long) or
            (GgufValueType.Float32, float) or (GgufValueType.Float64, double) or (GgufValueType.Bool, bool) or (GgufValueType.String, string) => true,
            (GgufValueType.Array, GgufArray) => true,
            _ => false,
        };
        if (!ok) throw new ArgumentException($"metadata '{key}': a {type} value cannot hold a {value.GetType().Name}");
        if (value is GgufArray array)
        {
            if (depth >= 8) throw new ArgumentException($"metadata '{key}' nests arrays more than 8 deep");
            foreach (var item in array.Items) CheckValue(key, array.ElementType, item, depth + 1);
        }
    }

    private static void WriteValue(HeaderBuffer header, GgufValueType type, object value)
    {
        switch (value)
        {
            case byte v: header.Byte(v); break;
            case sbyte v: header.Byte((byte)v); break;
            case ushort v: header.UInt16(v); break;
            case short v: header.UInt16((ushort)v); break;
            case uint v: header.UInt32(v); break;
            case int v: header.UInt32((uint)v); break;
            case ulong v: header.UInt64(v); break;
            case long v: header.UInt64((ulong)v); break;
            case float v: header.UInt32(BitConverter.SingleToUInt32Bits(v)); break;
            case double v: header.UInt64(BitConverter.DoubleToUInt64Bits(v)); break;
            case bool v: header.Byte(v ? (byte)1 : (byte)0); break;
            case string v: header.String(v); break;
            case GgufArray a:
                header.UInt32((uint)a.ElementType);
                header.UInt64((ulong)a.Items.Count);
                foreach (var item in a.Items) WriteValue(header, a.ElementType, item);
                break;
            default: throw new ArgumentException($"cannot write a {type} value of .NET type {value.GetType().Name}");
        }
    }

    /// <summary>The header, built in memory: it is small next to the tensor data (a 150k-token vocabulary is a few MB).</summary>
    private sealed class HeaderBuffer
    {
        private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(1 << 16);

        public long Length => _buffer.WrittenCount;
        public ReadOnlySpan<byte> Bytes => _buffer.WrittenSpan;

        public void Byte(byte v)
        {
            _buffer.GetSpan(1)[0] = v;
            _buffer.Advance(1);
        }

        public void UInt16(ushort v)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), v);
            _buffer.Advance(2);
        }

        public void UInt32(uint v)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), v);
            _buffer.Advance(4);
        }

        public void UInt64(ulong v)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), v);
            _buffer.Advance(8);
        }

        public void String(string s)
        {
            var count = Encoding.UTF8.GetByteCount(s);
            UInt64((ulong)count);
            Encoding.UTF8.GetBytes(s, _buffer.GetSpan(count));
            _buffer.Advance(count);
        }

        public void Pad(int alignment)
        {
            while (_buffer.WrittenCount % alignment != 0) Byte(0);
        }
    }
}
