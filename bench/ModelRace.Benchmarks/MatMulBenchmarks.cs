using BenchmarkDotNet.Attributes;
using ModelRace.Local.Gguf;
using ModelRace.Local.Kernels;

namespace ModelRace.Benchmarks;

/// <summary>
/// y = W·x for a 2048×2048 weight matrix (Q8_0, Q4_K or F16) in native memory, a batch of 1 (decode), 4 (several sequences) or 32 (prompt)
/// activation rows, on 1 or 2 compute threads. Each call re-quantizes the activations, as a projection in the forward
/// pass does for a fresh input.
/// </summary>
[MemoryDiagnoser]
public unsafe class MatMulBenchmarks
{
    private const int Size = 2048;
    private byte* _data;
    private WeightMatrix _weights;
    private MatMul _matMul = null!;
    private ActivationBatch _input = null!;
    private float[] _output = [];

    [Params(GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.F16)]
    public GgmlType Type { get; set; }

    [Params(1, 4, 32)]
    public int BatchRows { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = RandomWeights.Allocate(Type, Size, Size, seed: 1);
        _weights = new WeightMatrix("bench", Type, _data, Size, Size);
        _matMul = new MatMul(new ComputePool(Threads));
        _input = new ActivationBatch(Size, BatchRows);
        RandomWeights.Activations(Size * BatchRows, seed: 2).CopyTo(_input.Values, 0);
        _output = new float[BatchRows * Size];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _matMul.Pool.Dispose();
        RandomWeights.Free(_data);
    }

    [Benchmark]
    public void Multiply()
    {
        _input.SetRows(BatchRows);
        _matMul.Multiply(_weights, _input, _output);
    }
}
