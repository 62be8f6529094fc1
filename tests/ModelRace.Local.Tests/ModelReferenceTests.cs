using ModelRace.Local.Gguf;
using ModelRace.Local.Model;
using ModelRace.Local.Tensors;

namespace ModelRace.Local.Tests;

/// <summary>
/// A deliberately naive transformer: every weight dequantized to a float matrix by the GGUF reader's own
/// dequantizer, double-precision arithmetic, no cache (every position recomputed), no batching, no threads.
/// </summary>
internal sealed class NaiveTransformer
{
    private readonly GgufFile _file;
    private readonly ModelConfig _c;

    public NaiveTransformer(GgufFile file)
    {
        _file = file;
        _c = ModelConfig.FromGguf(file);
    }

    private double[] Vector(string name) => Matrix(name)[0];

    /// <summary>The tensor as rows (ne[1]) of ne[0] values.</summary>
    private readonly Dictionary<string, double[][]> _matrices = [];

    private double[][] Matrix(string name)
    {
        if (_matrices.TryGetValue(name, out var cached)) return cached;
        var tensor = _file.GetTensor(name);
        var values = new float[tensor.ElementCount];
        Dequantize.Tensor(_file, tensor, values);
        var rowLength = (int)tensor.RowLength;
        return _matrices[name] = Enumerable.Range(0, (int)tensor.RowCount)
            .Select(r => values.AsSpan(r * rowLength, rowLength).ToArray().Select(v => (double)v).ToArray()).ToArray();
    }

    private static double[] MatVec(double[][] w, double[] x)
    {
        var y = new double[w.Length];
        for (var r = 0; r < w.Length; r++)
        {
            var row = w[r];
            double sum = 0;
            for (var i = 0; i < x.Length; i++) sum += row[i] * x[i];
            y[r] = sum;
        }
        return y;
    }

    private double[] RmsNorm(double[] x, double[] weight)
    {
        var scale = 1 / Math.Sqrt(x.Sum(v => v * v) / x.Length + _c.RmsNormEpsilon);
        return x.Select((v, i) => v * scale * weight[i]).ToArray();
    }

    private void Rope(double[] vector, int position)
    {
        var factors = _file.FindTensor("rope_freqs.weight") is null ? null : Vector("rope_freqs.weight");
        var rotated = _c.RopeDimensions;
        for (var h = 0; h < vector.Length / _c.HeadDim; h++)
            for (var i = 0; i < rotated / 2; i++)
            {
                var theta = _c.RopeFreqScale * position * Math.Pow(_c.RopeFreqBase, -2.0 * i / rotated) / (factors?[i] ?? 1);
                var (a, b) = _file.Architecture == "llama" ? (2 * i, 2 * i + 1) : (i, i + rotated / 2);
                a += h * _c.HeadDim;
                b += h * _c.HeadDim;
                double x0 = vector[a], x1 = vector[b];
                vector[a] = x0 * Math.Cos(theta) - x1 * Math.Sin(theta);
                vector[b] = x0 * Math.Sin(theta) + x1 * Math.Cos(theta);
            }
    }

    /// <summary>Logits after each of <paramref name="tokens"/>.</summary>
    public double[][] Logits(IReadOnlyList<int> tokens)
    {
        var embedding = Matrix("token_embd.weight");
        var x = tokens.Select(t => (double[])embedding[t].Clone()).ToArray();
        for (var l = 0; l < _c.LayerCount; l++)
        {
            string p = $"blk.{l}.";
            var wq = Matrix(p + "attn_q.weight");
            var wk = Matrix(p + "attn_k.weight");
            var wv = Matrix(p + "attn_v.weight");
            var wo = Matrix(p + "attn_output.weight");
            var keys = new double[tokens.Count][];
            var values = new double[tokens.Count][];
            var queries = new double[tokens.Count][];
            for (var t = 0; t < tokens.Count; t++)
            {
                var normed = RmsNorm(x[t], Vector(p + "attn_norm.weight"));
                queries[t] = MatVec(wq, normed);
                keys[t] = MatVec(wk, normed);
                values[t] = MatVec(wv, normed);
                if (_file.Architecture == "qwen2")
                {
                    queries[t] = queries[t].Zip(Vector(p + "attn_q.bias"), (a, b) => a + b).ToArray();
                    keys[t] = keys[t].Zip(Vector(p + "attn_k.bias"), (a, b) => a + b).ToArray();
                    values[t] = values[t].Zip(Vector(p + "attn_v.bias"), (a, b) => a + b).ToArray();
                }
                if (_file.Architecture == "qwen3")
                {
                    queries[t] = queries[t].Chunk(_c.HeadDim).SelectMany(h => RmsNorm(h, Vector(p + "attn_q_norm.weight"))).ToArray();
                    keys[t] = keys[t].Chunk(_c.HeadDim).SelectMany(h => RmsNorm(h, Vector(p + "attn_k_norm.weight"))).ToArray();
                }
                Rope(queries[t], t);
                Rope(keys[t], t);
            }
            for (var t = 0; t < tokens.Count; t++)
            {
                var attention = new double[_c.QueryDim];
                for (var h = 0; h < _c.HeadCount; h++)
                {
                    var kvHead = h / (_c.HeadCount / _c.KvHeadCount);
                    var scores = new double[t + 1];
                    for (var s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (var d = 0; d < _c.HeadDim; d++) dot += queries[t][h * _c.HeadDim + d] * keys[s][kvHead * _c.HeadDim + d];
                        scores[s] = dot / Math.Sqrt(_c.HeadDim);
                    }
                    var max = scores.Max();
                    var weights = scores.Select(v => Math.Exp(v - max)).ToArray();
                    var total = weights.Sum();
                    for (var s = 0; s <= t; s++)
                        for (var d = 0; d < _c.HeadDim; d++)
                            attention[h * _c.HeadDim + d] += weights[s] / total * values[s][kvHead * _c.HeadDim + d];
                }
                x[t] = x[t].Zip(MatVec(wo, attention), (a, b) => a + b).ToArray();
                var normed = RmsNorm(x[t], Vector(p + "ffn_norm.weight"));
                var gate = MatVec(Matrix(p + "ffn_gate.weight"), normed);
                var up = MatVec(Matrix(p + "ffn_up.weight"), normed);
                var hidden = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
                x[t] = x[t].Zip(MatVec(Matrix(p + "ffn_down.weight"), hidden), (a, b) => a + b).ToArray();
            }
        }
        var output = Matrix(_file.FindTensor("output.weight") is null ? "token_embd.weight" : "output.weight");
        return x.Select(h => MatVec(output, RmsNorm(h, Vector("output_norm.weight")))).ToArray();
    }
}

/// <summary>The optimized forward pass against <see cref="NaiveTransformer"/> on synthesized models of varied shapes.</summary>
public sealed class ModelReferenceTests
{
    public static TheoryData<string> Shapes => new(ShapeByName.Keys);

    private static readonly Dictionary<string, TestModelShape> ShapeByName = new()
    {
        ["llama head_dim 64, no GQA, 3 layers, F32"] = new TestModelShape(),
        ["llama head_dim 128, GQA 4/2, F16, tied head, rope_freqs"] = new TestModelShape
        {
            Embedding = 256, Heads = 4, KvHeads = 2, HeadDim = 64, Layers = 3, WeightType = GgmlType.F16, Tied = true, RopeFrequencyFactors = true,
        },
        ["llama head_dim 128, linear rope scaling, partial rotary, BF16"] = new TestModelShape
        {
            Embedding = 256, Heads = 2, KvHeads = 1, HeadDim = 128, RopeDimensions = 64, LinearRopeScaling = 4, WeightType = GgmlType.BF16,
        },
        ["qwen2 biases, Q8_0"] = new TestModelShape { Architecture = "qwen2", WeightType = GgmlType.Q8_0 },
        ["qwen3 per-head norms, head_dim 128 wider than embedding/heads, Q4_K"] = new TestModelShape
        {
            Architecture = "qwen3", Embedding = 256, Heads = 4, KvHeads = 2, HeadDim = 128, FeedForward = 512, WeightType = GgmlType.Q4_K,
        },
        ["qwen3, Q6_K"] = new TestModelShape { Architecture = "qwen3", Embedding = 256, Heads = 2, KvHeads = 1, HeadDim = 128, FeedForward = 256, WeightType = GgmlType.Q6_K },
        ["llama Q5_K"] = new TestModelShape { Embedding = 256, Heads = 4, KvHeads = 4, HeadDim = 64, FeedForward = 256, WeightType = GgmlType.Q5_K },
        ["llama Q4_0"] = new TestModelShape { WeightType = GgmlType.Q4_0 },
        ["llama Q5_0"] = new TestModelShape { WeightType = GgmlType.Q5_0, Seed = 4 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Optimized_forward_pass_matches_the_naive_reference(string shapeName)
    {
        var shape = ShapeByName[shapeName];
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(shape));
        using var model = new Transformer(file);
        int[] tokens = [1, 5, 9, 12, 40, 7, 33, 3, 21, 60];
        var expected = new NaiveTransformer(file).Logits(tokens);

        // The prompt in one batch, all logits…
        var cache = model.CreateCache(64);
        var batched = model.Forward(tokens, cache, allLogits: true);
        // …and the same tokens one at a time through the cache.
        var stepCache = model.CreateCache(64);
        var stepwise = tokens.Select(t => model.Forward([t], stepCache)).ToArray();

        // Float weights differ from the reference only by fp16 rounding in the attention cache; quantized weights
        // also meet 8-bit activations.
        var tolerance = shape.WeightType is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 ? 0.02 : 0.08;
        var scale = expected.SelectMany(v => v).Max(Math.Abs);
        for (var t = 0; t < tokens.Length; t++)
            for (var v = 0; v < shape.Vocab; v++)
            {
                Assert.True(Math.Abs(batched[t * shape.Vocab + v] - expected[t][v]) <= tolerance * Math.Max(1, scale),
                    $"position {t}, token {v}: batched {batched[t * shape.Vocab + v]}, reference {expected[t][v]} (scale {scale})");
                Assert.True(Math.Abs(stepwise[t][v] - expected[t][v]) <= tolerance * Math.Max(1, scale),
                    $"position {t}, token {v}: stepwise {stepwise[t][v]}, reference {expected[t][v]}");
            }
        Assert.Equal(tokens.Length, cache.Length);
    }
}
