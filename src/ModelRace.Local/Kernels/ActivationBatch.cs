using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Kernels;

/// <summary>
/// The input of one or more projections: up to <see cref="Capacity"/> rows of <see cref="Columns"/> floats, plus the
/// forms the weight types consume (Q8_0 or Q8_K quants, fp16- or bf16-rounded floats). Each form is built on first use
/// after <see cref="SetRows"/> and then shared, so Q, K and V (or gate and up) quantize their common input once.
/// </summary>
public sealed unsafe class ActivationBatch
{
    private QuantizedActivations? _q8_0, _q8_K;
    private AlignedBuffer<float>? _halfRounded, _bfloat16Rounded;
    private int _version, _q8_0Version = -1, _q8_KVersion = -1, _halfVersion = -1, _bfloat16Version = -1;

    public ActivationBatch(int columns, int capacity)
    {
        Columns = columns;
        Capacity = capacity;
        Values = GC.AllocateArray<float>(columns * capacity, pinned: true);
    }

    public int Columns { get; }
    public int Capacity { get; }
    /// <summary>Rows in use.</summary>
    public int Rows { get; private set; }
    /// <summary>Row-major floats; write them, then call <see cref="SetRows"/>.</summary>
    public float[] Values { get; }

    public Span<float> Row(int row) => Values.AsSpan(row * Columns, Columns);
    public Span<float> InUse => Values.AsSpan(0, Rows * Columns);

    /// <summary>Declares the first <paramref name="rows"/> rows current; every derived form is rebuilt on next use.</summary>
    public void SetRows(int rows)
    {
        if (rows < 1 || rows > Capacity) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"between 1 and {Capacity} rows");
        Rows = rows;
        _version++;
    }

    public QuantizedActivations Quantized(GgmlType format)
    {
        ref var buffer = ref format == GgmlType.Q8_0 ? ref _q8_0 : ref _q8_K;
        ref var version = ref format == GgmlType.Q8_0 ? ref _q8_0Version : ref _q8_KVersion;
        buffer ??= new QuantizedActivations(format, Columns, Capacity);
        if (version != _version)
        {
            buffer.Quantize(InUse, Rows);
            version = _version;
        }
        return buffer;
    }

    /// <summary>The rows as a float weight type's dot product sees them: fp16-rounded for F16, bf16-rounded for BF16, as is for F32.</summary>
    public float* RoundedFor(GgmlType weightType)
    {
        if (weightType == GgmlType.F32) return Pointer(Values);
        var toHalf = weightType == GgmlType.F16;
        ref var buffer = ref toHalf ? ref _halfRounded : ref _bfloat16Rounded;
        ref var version = ref toHalf ? ref _halfVersion : ref _bfloat16Version;
        buffer ??= new AlignedBuffer<float>(Values.Length);
        if (version != _version)
        {
            var rounded = buffer.Value.Span[..(Rows * Columns)];
            InUse.CopyTo(rounded);
            if (toHalf) MatMul.RoundToHalf(rounded);
            else MatMul.RoundToBFloat16(rounded);
            version = _version;
        }
        return buffer.Value.Start;
    }

    private static float* Pointer(float[] pinned) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
}
