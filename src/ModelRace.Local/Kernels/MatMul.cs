using ModelRace.Local.Gguf;

namespace ModelRace.Local.Kernels;

/// <summary>
/// y = W·x for a batch of activation vectors. The activations are first brought to the weight type's partner
/// format, as llama.cpp does (8-bit quantized for quantized weights, fp16-rounded for F16, bf16-rounded for BF16,
/// unchanged for F32). Rows of W are then split into a fixed number of contiguous ranges, one per worker; each weight
/// row is read once and dotted with every vector of the batch while it is still in cache.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>Multiply-adds per parallel work item; smaller products run on the calling thread (threads cost more than they save).</summary>
    private const long MinWorkPerTask = 1 << 16;

    public static int ThreadCount { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <param name="x">batch × W.Columns activations, row-major.</param>
    /// <param name="y">batch × W.Rows outputs, row-major.</param>
    public static void Multiply(in WeightMatrix w, ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        if (x.Length < batch * w.Columns) throw new ArgumentException($"{w.Name}: input holds {x.Length} values, needs {batch}×{w.Columns}");
        if (y.Length < batch * w.Rows) throw new ArgumentException($"{w.Name}: output holds {y.Length} values, needs {batch}×{w.Rows}");
        x = x[..(batch * w.Columns)];
        QuantizedActivations? quantized = null;
        float[]? rounded = null;
        if (QuantizedActivations.FormatFor(w.Type) is { } format)
        {
            quantized = new QuantizedActivations(format, w.Columns, batch);
            quantized.Quantize(x);
        }
        else if (w.Type is GgmlType.F16 or GgmlType.BF16)
        {
            rounded = x.ToArray();
            if (w.Type == GgmlType.F16) RoundToHalf(rounded);
            else RoundToBFloat16(rounded);
        }

        var tasks = (int)Math.Clamp((long)w.Rows * w.Columns * batch / MinWorkPerTask, 1, Math.Min(ThreadCount, w.Rows));
        fixed (float* xp = rounded ?? x)
        fixed (float* yp = y)
        {
            var job = new Job(w, xp, quantized, yp, batch, tasks);
            if (tasks == 1) job.Run(0);
            else Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = tasks }, job.Run);
        }
    }

    /// <summary>Rounds each value to the nearest fp16 (what llama.cpp feeds an F16 dot product).</summary>
    public static void RoundToHalf(Span<float> values)
    {
        for (var i = 0; i < values.Length; i++) values[i] = (float)(Half)values[i];
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

    private sealed class Job(WeightMatrix w, float* x, QuantizedActivations? quantized, float* y, int batch, int tasks)
    {
        public void Run(int task)
        {
            var start = (int)((long)w.Rows * task / tasks);
            var end = (int)((long)w.Rows * (task + 1) / tasks);
            for (var r = start; r < end; r++)
            {
                var row = w.Row(r);
                for (var b = 0; b < batch; b++)
                    y[(long)b * w.Rows + r] = quantized is null
                        ? RowDot.Dot(w.Type, row, new ReadOnlySpan<float>(x + (long)b * w.Columns, w.Columns))
                        : QuantizedDot.Dot(w.Type, row, quantized, b);
            }
        }
    }
}
