using BenchmarkDotNet.Attributes;
using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Benchmarks;

/// <summary>
/// One quantized weight row of 4096 columns against 8-bit activations: the runtime's kernel (vector where the type has
/// one) against the portable scalar kernel, the baseline, so the Ratio column is the vector speed-up. A type without a
/// vector kernel falls back to the scalar one and shows a ratio near 1.
/// </summary>
[MemoryDiagnoser]
public unsafe class QuantizedDotBenchmarks
{
    private const int Columns = 4096;
    private byte* _row;
    private QuantizedActivations _activations = null!;

    [Params(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)]
    public GgmlType Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _row = RandomWeights.Allocate(Type, rows: 1, Columns, seed: 1);
        _activations = new QuantizedActivations(QuantizedActivations.FormatFor(Type)!.Value, Columns, batch: 1);
        _activations.Quantize(RandomWeights.Activations(Columns, seed: 2));
    }

    [GlobalCleanup]
    public void Cleanup() => RandomWeights.Free(_row);

    [Benchmark(Baseline = true)]
    public float Scalar() => QuantizedDot.ScalarDot(Type, _row, _activations, 0);

    [Benchmark]
    public float Runtime() => QuantizedDot.Dot(Type, _row, _activations, 0);
}

/// <summary>One float-type weight row of 4096 columns against float activations (<see cref="RowDot.Dot"/>).</summary>
[MemoryDiagnoser]
public unsafe class FloatRowDotBenchmarks
{
    private const int Columns = 4096;
    private byte* _row;
    private float[] _activations = [];

    [Params(GgmlType.F32, GgmlType.F16, GgmlType.BF16)]
    public GgmlType Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _row = RandomWeights.Allocate(Type, rows: 1, Columns, seed: 1);
        _activations = RandomWeights.Activations(Columns, seed: 2);
    }

    [GlobalCleanup]
    public void Cleanup() => RandomWeights.Free(_row);

    [Benchmark]
    public float Dot() => RowDot.Dot(Type, _row, _activations);
}

/// <summary>Quantizing one 4096-value activation row to Q8_0 (for Q8_0/Q4_0/Q5_0 weights) or Q8_K (for K-quants).</summary>
[MemoryDiagnoser]
public class ActivationQuantizeBenchmarks
{
    private const int Columns = 4096;
    private QuantizedActivations _activations = null!;
    private float[] _values = [];

    [Params(GgmlType.Q8_0, GgmlType.Q8_K)]
    public GgmlType Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _activations = new QuantizedActivations(Format, Columns, batch: 1);
        _values = RandomWeights.Activations(Columns, seed: 3);
    }

    [Benchmark]
    public void Quantize() => _activations.Quantize(_values);
}
