using System.Numerics.Tensors;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Kernels;

/// <summary>
/// y = W·x for a batch of activation rows. The activations are first brought to the weight type's partner format, as
/// llama.cpp does (8-bit quantized for quantized weights, fp16-rounded for F16, bf16-rounded for BF16, unchanged for
/// F32). Rows of W are dealt out in chunks to the <see cref="ComputePool"/>; each weight row is read once and dotted
/// with every activation row while it is still in cache. One instance per model; calls must not overlap.
/// </summary>
public sealed unsafe class MatMul(ComputePool pool) : IChunkedWork
{
    /// <summary>Chunks per thread: enough that a thread slowed by another process hands its share to the others.</summary>
    private const int ChunksPerThread = 8;
    private const int MinRowsPerChunk = 16;
    /// <summary>Quantized weight rows of a few kilobytes each: sixteen fit in L1 beside four activation rows.</summary>
    private const int RowsPerL1Block = 16;

    private WeightMatrix _weights;
    private QuantizedActivations? _quantized;
    private float* _floats;
    private float* _output;
    private int _rows;
    private int _rowsPerChunk;

    public ComputePool Pool { get; } = pool;

    /// <param name="y">x.Rows × W.Rows outputs, row-major.</param>
    public void Multiply(in WeightMatrix w, ActivationBatch x, Span<float> y)
    {
        if (x.Columns != w.Columns) throw new ArgumentException($"{w.Name}: input rows hold {x.Columns} values, the matrix has {w.Columns} columns");
        if (y.Length < x.Rows * w.Rows) throw new ArgumentException($"{w.Name}: output holds {y.Length} values, needs {x.Rows}×{w.Rows}");
        _weights = w;
        _rows = x.Rows;
        _quantized = QuantizedActivations.FormatFor(w.Type) is { } format ? x.Quantized(format) : null;
        _floats = _quantized is null ? x.RoundedFor(w.Type) : null;
        var chunks = (int)Math.Min(Pool.ThreadCount * ChunksPerThread, Math.Max(1, w.Rows / MinRowsPerChunk));
        // Whole tiles of four rows per chunk, so the float kernels rarely fall back to single rows.
        _rowsPerChunk = ((w.Rows + chunks - 1) / chunks + 3) & ~3;
        chunks = (w.Rows + _rowsPerChunk - 1) / _rowsPerChunk;
        fixed (float* output = y)
        {
            _output = output;
            try
            {
                Pool.Run(this, chunks);
            }
            finally
            {
                _output = null;
                _quantized = null;
                _floats = null;
            }
        }
    }

    void IChunkedWork.Execute(int chunk)
    {
        var w = _weights;
        var start = chunk * _rowsPerChunk;
        var end = Math.Min(w.Rows, start + _rowsPerChunk);
        if (_quantized is { } quantized)
        {
            // Sixteen weight rows stay in L1 while the activation rows pass over them four at a time: a batch of 64
            // activation rows no longer fits L1, so running all of them past each weight row would stream them from L2
            // once per weight row.
            for (var rowBlock = start; rowBlock < end; rowBlock += RowsPerL1Block)
            {
                var rowBlockEnd = Math.Min(end, rowBlock + RowsPerL1Block);
                for (var first = 0; first < _rows; first += 4)
                {
                    var count = Math.Min(4, _rows - first);
                    for (var r = rowBlock; r < rowBlockEnd; r++)
                        QuantizedDot.DotRows(w.Type, w.Row(r), quantized, first, count, _output + (long)first * w.Rows + r, w.Rows);
                }
            }
            return;
        }
        if (FloatTiles.IsSupported(w.Type))
        {
            for (var r = start; r < end; r += FloatTiles.RowsPerTile)
                FloatTiles.Multiply(w, r, Math.Min(FloatTiles.RowsPerTile, end - r), _floats, _rows, _output);
            return;
        }
        var x = new ReadOnlySpan<float>(_floats, _rows * w.Columns);
        for (var r = start; r < end; r++)
        {
            if (_rows == 1) _output[r] = RowDot.Dot(w.Type, w.Row(r), x);
            else RowDot.DotMany(w.Type, w.Row(r), x, _rows, _output + r, w.Rows);
        }
    }

    /// <summary>Rounds each value to the nearest fp16 (what llama.cpp feeds an F16 dot product).</summary>
    public static void RoundToHalf(Span<float> values)
    {
        // Through a small fp16 buffer, so both conversions run vectorized.
        Span<Half> halves = stackalloc Half[256];
        for (var start = 0; start < values.Length; start += halves.Length)
        {
            var chunk = values.Slice(start, Math.Min(halves.Length, values.Length - start));
            TensorPrimitives.ConvertToHalf(chunk, halves[..chunk.Length]);
            fixed (Half* rounded = halves)
            fixed (float* destination = chunk)
                Simd.WidenHalves((ushort*)rounded, destination, chunk.Length);
        }
    }

    /// <summary>Rounds each value to the nearest bfloat16 (ties to even).</summary>
    public static void RoundToBFloat16(Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var bits = BitConverter.SingleToUInt32Bits(values[i]);
            if (float.IsNaN(values[i])) continue;
            bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000;
            values[i] = BitConverter.UInt32BitsToSingle(bits);
        }
    }
}
