using ModelRace.Local.Gguf;
using ModelRace.Local.Tensors;

namespace ModelRace.Local.Tests;

/// <summary>The shape of a tiny model written in-test (weights from a seeded generator).</summary>
internal sealed record TestModelShape
{
    public string Architecture { get; init; } = "llama";
    public int Embedding { get; init; } = 128;
    public int Layers { get; init; } = 3;
    public int Heads { get; init; } = 2;
    public int KvHeads { get; init; } = 2;
    public int HeadDim { get; init; } = 64;
    public int FeedForward { get; init; } = 256;
    public int Vocab { get; init; } = 64;
    public int? RopeDimensions { get; init; }
    public GgmlType WeightType { get; init; } = GgmlType.F32;
    public bool Tied { get; init; }
    public bool RopeFrequencyFactors { get; init; }
    public float? LinearRopeScaling { get; init; }
    public int Seed { get; init; } = 1;
    public string[] OmitTensors { get; init; } = [];
}

/// <summary>Writes a small GGUF with real llama.cpp tensor names and a toy SentencePiece-style vocabulary.</summary>
internal static class ModelTestFiles
{
    /// <summary>Vocabulary: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, then ▁a … and letters.</summary>
    public static string[] Vocabulary(int size) =>
        Enumerable.Range(0, size).Select(i => i switch
        {
            0 => "<unk>", 1 => "<s>", 2 => "</s>",
            _ when i % 2 == 1 => "\u2581" + (char)('a' + (i - 3) / 2 % 26),
            _ => ((char)('a' + (i - 3) / 2 % 26)).ToString() + (i / 52 > 0 ? i.ToString() : ""),
        }).ToArray();

    public static byte[] Build(TestModelShape s)
    {
        var random = new Random(s.Seed);
        var arch = s.Architecture;
        using var stream = new MemoryStream();
        using (var writer = new GgufWriter(stream, leaveOpen: true))
        {
            void Meta(string key, GgufValueType type, object value) => writer.AddMetadata(key, new GgufValue(type, value));
            Meta("general.architecture", GgufValueType.String, arch);
            Meta($"{arch}.embedding_length", GgufValueType.UInt32, (uint)s.Embedding);
            Meta($"{arch}.block_count", GgufValueType.UInt32, (uint)s.Layers);
            Meta($"{arch}.feed_forward_length", GgufValueType.UInt32, (uint)s.FeedForward);
            Meta($"{arch}.attention.head_count", GgufValueType.UInt32, (uint)s.Heads);
            Meta($"{arch}.attention.head_count_kv", GgufValueType.UInt32, (uint)s.KvHeads);
            Meta($"{arch}.attention.key_length", GgufValueType.UInt32, (uint)s.HeadDim);
            Meta($"{arch}.attention.layer_norm_rms_epsilon", GgufValueType.Float32, 1e-5f);
            Meta($"{arch}.rope.freq_base", GgufValueType.Float32, arch == "llama" ? 10000f : 1000000f);
            Meta($"{arch}.rope.dimension_count", GgufValueType.UInt32, (uint)(s.RopeDimensions ?? s.HeadDim));
            Meta($"{arch}.context_length", GgufValueType.UInt32, 256u);
            if (s.LinearRopeScaling is { } factor)
            {
                Meta($"{arch}.rope.scaling.type", GgufValueType.String, "linear");
                Meta($"{arch}.rope.scaling.factor", GgufValueType.Float32, factor);
            }
            var vocab = Vocabulary(s.Vocab);
            Meta("tokenizer.ggml.model", GgufValueType.String, "llama");
            Meta("tokenizer.ggml.tokens", GgufValueType.Array, new GgufArray(GgufValueType.String, vocab));
            Meta("tokenizer.ggml.token_type", GgufValueType.Array, new GgufArray(GgufValueType.Int32,
                Enumerable.Range(0, s.Vocab).Select(i => (object)(i is 1 or 2 ? 3 : i == 0 ? 2 : 1)).ToArray()));
            Meta("tokenizer.ggml.bos_token_id", GgufValueType.UInt32, 1u);
            Meta("tokenizer.ggml.eos_token_id", GgufValueType.UInt32, 2u);

            var tensors = new List<(string Name, long[] Dims, GgmlType Type, float[] Values)>();
            void Add(string name, GgmlType type, float scale, float offset, params long[] dims)
            {
                if (s.OmitTensors.Contains(name)) return;
                var count = dims.Aggregate(1L, (a, b) => a * b);
                var values = new float[count];
                for (var i = 0; i < count; i++) values[i] = offset + scale * (float)(random.NextDouble() * 2 - 1);
                tensors.Add((name, dims, dims.Length == 1 ? GgmlType.F32 : type, values));
            }
            int qDim = s.Heads * s.HeadDim, kvDim = s.KvHeads * s.HeadDim;
            Add("token_embd.weight", s.WeightType, 1f, 0, s.Embedding, s.Vocab);
            Add("output_norm.weight", s.WeightType, 0.2f, 1f, s.Embedding);
            if (!s.Tied) Add("output.weight", s.WeightType, 0.2f, 0, s.Embedding, s.Vocab);
            if (s.RopeFrequencyFactors) Add("rope_freqs.weight", GgmlType.F32, 0.5f, 2f, (s.RopeDimensions ?? s.HeadDim) / 2);
            for (var l = 0; l < s.Layers; l++)
            {
                var p = $"blk.{l}.";
                Add(p + "attn_norm.weight", s.WeightType, 0.2f, 1f, s.Embedding);
                Add(p + "attn_q.weight", s.WeightType, 0.15f, 0, s.Embedding, qDim);
                Add(p + "attn_k.weight", s.WeightType, 0.15f, 0, s.Embedding, kvDim);
                Add(p + "attn_v.weight", s.WeightType, 0.15f, 0, s.Embedding, kvDim);
                Add(p + "attn_output.weight", s.WeightType, 0.15f, 0, qDim, s.Embedding);
                if (arch == "qwen2")
                {
                    Add(p + "attn_q.bias", s.WeightType, 0.3f, 0, qDim);
                    Add(p + "attn_k.bias", s.WeightType, 0.3f, 0, kvDim);
                    Add(p + "attn_v.bias", s.WeightType, 0.3f, 0, kvDim);
                }
                if (arch == "qwen3")
                {
                    Add(p + "attn_q_norm.weight", s.WeightType, 0.2f, 1f, s.HeadDim);
                    Add(p + "attn_k_norm.weight", s.WeightType, 0.2f, 1f, s.HeadDim);
                }
                Add(p + "ffn_norm.weight", s.WeightType, 0.2f, 1f, s.Embedding);
                Add(p + "ffn_gate.weight", s.WeightType, 0.15f, 0, s.Embedding, s.FeedForward);
                Add(p + "ffn_up.weight", s.WeightType, 0.15f, 0, s.Embedding, s.FeedForward);
                Add(p + "ffn_down.weight", s.WeightType, 0.15f, 0, s.FeedForward, s.Embedding);
            }
            foreach (var t in tensors) writer.AddTensor(t.Name, t.Dims, t.Type);
            writer.WriteHeader();
            foreach (var t in tensors)
            {
                var bytes = new byte[GgmlTypeInfo.RowBytes(t.Type, t.Dims[0]) * (t.Values.Length / t.Dims[0])];
                var rowBytes = (int)GgmlTypeInfo.RowBytes(t.Type, t.Dims[0]);
                for (var r = 0; r < t.Values.Length / t.Dims[0]; r++)
                    Quantize.Row(t.Type, t.Values.AsSpan((int)(r * t.Dims[0]), (int)t.Dims[0]), bytes.AsSpan(r * rowBytes, rowBytes));
                writer.WriteTensorData(bytes);
            }
            writer.Finish();
        }
        return stream.ToArray();
    }
}
