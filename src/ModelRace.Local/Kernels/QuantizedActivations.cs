using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Kernels;

/// <summary>
/// Activations quantized to 8 bits the way llama.cpp does before it multiplies them with quantized weights:
/// Q8_0 (32 values per scale, scale rounded to fp16) for Q8_0/Q4_0/Q5_0 weights, Q8_K (256 values per float
/// scale, plus sums of each 16 quants) for K-quant weights. Integer dot products then stand in for float ones.
/// </summary>
public sealed unsafe class QuantizedActivations
{
    /// <param name="batch">How many rows the buffers hold; <see cref="Quantize"/> may fill fewer.</param>
    public QuantizedActivations(GgmlType format, int length, int batch)
    {
        BlockSize = format switch
        {
            GgmlType.Q8_0 => 32,
            GgmlType.Q8_K => GgmlTypeInfo.QK_K,
            _ => throw new ArgumentException($"activations are quantized to Q8_0 or Q8_K, not {format}", nameof(format)),
        };
        if (length % BlockSize != 0) throw new ArgumentException($"{format} activations need a multiple of {BlockSize} values, not {length}");
        Format = format;
        Length = length;
        Batch = batch;
        _quants = new AlignedBuffer<sbyte>(length * batch);
        _scales = new AlignedBuffer<float>(length / BlockSize * batch);
        _groupSums = new AlignedBuffer<short>(format == GgmlType.Q8_K ? length / 16 * batch : 0);
        _subBlockSums = new AlignedBuffer<short>(format == GgmlType.Q8_K ? length / 32 * batch : 0);
        _scalesByBlock = new AlignedBuffer<float>(format == GgmlType.Q8_K || QuantizedDot.Q8_0TakesOffsetActivations ? length / BlockSize * batch : 0);
        var wide = format == GgmlType.Q8_0 && QuantizedDot.Q8_0TakesWideActivations;
        _wideQuants = new AlignedBuffer<short>(wide ? length * batch : 0);
        _scalePairs = new AlignedBuffer<float>(wide ? length / 64 * 8 * batch : 0);
        _offsetQuants = new AlignedBuffer<byte>(format == GgmlType.Q8_0 && QuantizedDot.Q8_0TakesOffsetActivations ? length * batch : 0);
    }

    private readonly AlignedBuffer<sbyte> _quants;
    private readonly AlignedBuffer<float> _scales;
    private readonly AlignedBuffer<short> _groupSums;
    private readonly AlignedBuffer<short> _subBlockSums;
    private readonly AlignedBuffer<float> _scalesByBlock;
    private readonly AlignedBuffer<short> _wideQuants;
    private readonly AlignedBuffer<float> _scalePairs;
    private readonly AlignedBuffer<byte> _offsetQuants;

    /// <summary>Quants of batch row <paramref name="row"/>: Length values.</summary>
    public sbyte* QuantsOf(int row) => _quants.Start + (long)row * Length;
    /// <summary>Scales of batch row <paramref name="row"/>: one per block.</summary>
    public float* ScalesOf(int row) => _scales.Start + (long)row * (Length / BlockSize);
    /// <summary>The int16 copy of batch row <paramref name="row"/>'s quants, where <see cref="WideQuants"/> is kept.</summary>
    public short* WideQuantsOf(int row) => _wideQuants.Start + (long)row * Length;
    /// <summary>
    /// Q8_0 on machines where <see cref="QuantizedDot.Q8_0TakesOffsetActivations"/>: batch row <paramref name="row"/>'s
    /// quants plus 128, as unsigned bytes (q XOR 0x80), the operand vpdpbusd takes unsigned. Made once per row here,
    /// they are read by every weight row.
    /// </summary>
    public byte* OffsetQuantsOf(int row) => _offsetQuants.Start + (long)row * Length;
    /// <summary>Q8_K group sums of batch row <paramref name="row"/>: one per 16 quants.</summary>
    public short* GroupSumsOf(int row) => _groupSums.Start + (long)row * (Length / 16);
    /// <summary>
    /// Q8_K sub-block sums of batch row <paramref name="row"/>: one per 32 quants, two group sums added (what llama.cpp's
    /// Q4_K kernel adds with one hadd per super-block, worked out once per row here). Laid out super-block by
    /// super-block, all rows of one super-block together (<see cref="SubBlockSumStride"/> apart from one super-block
    /// to the next), so one 256-bit load reads two neighbouring rows' eight sums.
    /// </summary>
    public short* SubBlockSumsOf(int row) => _subBlockSums.Start + (long)row * 8;
    /// <summary>Shorts from a row's sub-block sums of one super-block to those of the next.</summary>
    public long SubBlockSumStride => (long)Batch * 8;
    /// <summary>
    /// Q8_K, and Q8_0 where <see cref="QuantizedDot.Q8_0TakesOffsetActivations"/>: <see cref="Scales"/> again, block by
    /// block (<see cref="Batch"/> apart from one block to the next), so that the four rows a four-row kernel meets have
    /// their scales of one block side by side, to be multiplied by the weight's scale in one instruction.
    /// </summary>
    public float* ScalesByBlockOf(int row) => _scalesByBlock.Start + row;
    /// <summary>The <see cref="ScalePairs"/> of batch row <paramref name="row"/>: eight floats per pair of blocks.</summary>
    public float* ScalePairsOf(int row) => _scalePairs.Start + (long)row * (Length / 64 * 8);

    public GgmlType Format { get; }
    public int Length { get; }
    /// <summary>Rows the buffers hold.</summary>
    public int Batch { get; }
    /// <summary>Rows filled by the last <see cref="Quantize"/>.</summary>
    public int Rows { get; private set; }
    public int BlockSize { get; }
    public Span<sbyte> Quants => _quants.Span;
    /// <summary>One scale per block: value ≈ scale · quant.</summary>
    public Span<float> Scales => _scales.Span;
    /// <summary>Q8_K only: the sum of each run of 16 quants (K-quant weights use them to apply their mins).</summary>
    public Span<short> GroupSums => _groupSums.Span;
    /// <summary>
    /// Q8_0 on machines where <see cref="QuantizedDot.Q8_0TakesWideActivations"/>: <see cref="Quants"/> widened to
    /// int16 (empty elsewhere). Widened once per row here, they are read by every weight row. Each pair of blocks is
    /// interleaved in runs of eight, a0–7 b0–7 a8–15 b8–15 a16–23 b16–23 a24–31 b24–31, so that one vpmaddwd meets
    /// both blocks (the low four int32 lanes a's, the high four b's) and a pair takes one convert and one multiply-add
    /// where two blocks took two of each. A row's last block, when it has an odd number, stays in order.
    /// </summary>
    public Span<short> WideQuants => _wideQuants.Span;
    /// <summary>With <see cref="WideQuants"/>: per pair of blocks, the first block's scale four times, then the second's.</summary>
    public Span<float> ScalePairs => _scalePairs.Span;

    /// <summary>The vec-dot partner of a weight type, or null when that weight type multiplies float activations.</summary>
    public static GgmlType? FormatFor(GgmlType weightType) => weightType switch
    {
        GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q5_0 => GgmlType.Q8_0,
        GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => GgmlType.Q8_K,
        _ => null,
    };

    /// <summary>Quantizes rows × Length floats (all of <see cref="Batch"/> rows when <paramref name="rows"/> is omitted).</summary>
    public void Quantize(ReadOnlySpan<float> x, int? rows = null)
    {
        Rows = rows ?? Batch;
        if (Rows > Batch || x.Length < Rows * Length) throw new ArgumentException($"{Rows} rows of {Length} values do not fit {Batch} rows or the {x.Length} values given");
        var blocks = Rows * (Length / BlockSize);
        var vector = ActivationQuantizer.IsAccelerated;
        sbyte* quants = _quants.Start;
        short* groupSums = _groupSums.Start;
        var scales = _scales.Start;
        fixed (float* values = x)
        {
            for (var index = 0; index < blocks; index++)
            {
                var blockValues = values + (long)index * BlockSize;
                var blockQuants = quants + (long)index * BlockSize;
                if (Format == GgmlType.Q8_0)
                    scales[index] = vector ? ActivationQuantizer.Q8_0(blockValues, blockQuants) : QuantizeQ8_0(new(blockValues, 32), new(blockQuants, 32));
                else
                    scales[index] = vector
                        ? ActivationQuantizer.Q8_K(blockValues, blockQuants, groupSums + index * 16)
                        : QuantizeQ8_K(new(blockValues, 256), new(blockQuants, 256), new(groupSums + index * 16, 16));
            }
        }
        if (_scalesByBlock.Length > 0) LayOutByBlock();
        if (_wideQuants.Length > 0)
            for (var row = 0; row < Rows; row++) WidenInPairs(row);
        if (_offsetQuants.Length > 0)
            TensorPrimitives.Xor(_quants.Span[..(Rows * Length)], sbyte.MinValue, MemoryMarshal.Cast<byte, sbyte>(_offsetQuants.Span[..(Rows * Length)]));
    }

    private void LayOutByBlock()
    {
        var blocks = Length / BlockSize;
        for (var row = 0; row < Rows; row++)
            for (var block = 0; block < blocks; block++)
            {
                var index = (long)block * Batch + row;
                _scalesByBlock.Start[index] = ScalesOf(row)[block];
                if (Format != GgmlType.Q8_K) continue;
                var groupSums = GroupSumsOf(row) + block * 16;
                for (var sub = 0; sub < 8; sub++) _subBlockSums.Start[index * 8 + sub] = (short)(groupSums[2 * sub] + groupSums[2 * sub + 1]);
            }
    }

    private void WidenInPairs(int row)
    {
        var blocks = Length / 32;
        sbyte* quants = QuantsOf(row);
        short* wide = WideQuantsOf(row);
        float* scales = ScalesOf(row), scalePairs = ScalePairsOf(row);
        for (var pair = 0; pair < blocks / 2; pair++, quants += 64, wide += 64, scales += 2, scalePairs += 8)
        {
            ActivationQuantizer.WidenPair(quants, wide);
            for (var lane = 0; lane < 8; lane++) scalePairs[lane] = scales[lane / 4];
        }
        if (blocks % 2 != 0)
            for (var i = 0; i < 32; i++) wide[i] = quants[i];
    }

    /// <summary>The portable reference (<see cref="ActivationQuantizer"/> gives the same bits): scale = max|x| / 127 (kept at fp16 precision); quant = round-to-even(x · 127 / max|x|).</summary>
    public static float QuantizeQ8_0(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        var amax = 0f;
        foreach (var v in x) amax = Math.Max(amax, Math.Abs(v));
        var scale = amax / 127f;
        var inverse = amax != 0 ? 127f / amax : 0f;
        for (var i = 0; i < x.Length; i++) q[i] = (sbyte)MathF.Round(x[i] * inverse);
        return (float)(Half)scale;
    }

    /// <summary>The value of largest magnitude maps to −127; scale = 1 / (−127 / that value), a full float.</summary>
    public static float QuantizeQ8_K(ReadOnlySpan<float> x, Span<sbyte> q, Span<short> groupSums)
    {
        float max = 0, amax = 0;
        foreach (var v in x)
        {
            var a = Math.Abs(v);
            if (a > amax) { amax = a; max = v; }
        }
        if (amax == 0)
        {
            q.Clear();
            groupSums.Clear();
            return 0;
        }
        var inverseScale = -127f / max;
        for (var i = 0; i < x.Length; i++) q[i] = (sbyte)Math.Min(127, (int)MathF.Round(inverseScale * x[i]));
        for (var g = 0; g < 16; g++)
        {
            var sum = 0;
            for (var i = 0; i < 16; i++) sum += q[g * 16 + i];
            groupSums[g] = (short)sum;
        }
        return 1f / inverseScale;
    }
}
