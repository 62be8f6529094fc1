using System.Security.Cryptography;
using ModelRace.Local.Gguf;
using ModelRace.Local.Synth;
using ModelRace.Local.Tensors;

namespace ModelRace.Local.Tests;

public sealed class SynthTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("gguf-synth-");
    private readonly GgufFile _vocabulary;

    public SynthTests() => _vocabulary = GgufFile.Open(GgufFixtures.WriteVocabulary(Path.Combine(_dir.FullName, "vocab.gguf"), tokens: 300));

    public void Dispose()
    {
        _vocabulary.Dispose();
        _dir.Delete(recursive: true);
    }

    private static SynthSpec Spec(string arch = "llama", GgmlType type = GgmlType.Q8_0, ulong seed = 1, bool tied = false) => new()
    {
        Architecture = arch, EmbeddingLength = 256, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardLength = 512,
        WeightType = type, Seed = seed, TiedOutput = tied,
    };

    private string Write(SynthSpec spec, string name)
    {
        var path = Path.Combine(_dir.FullName, name);
        ModelSynthesizer.WriteFile(spec, _vocabulary, path, null, TestContext.Current.CancellationToken);
        return path;
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void Llama_model_has_llama_cpp_names_shapes_and_metadata(GgmlType type)
    {
        using var file = GgufFile.Open(Write(Spec(type: type), $"llama-{type}.gguf"));
        Assert.Equal("llama", file.Architecture);
        Assert.Equal(256, file.GetInteger("llama.embedding_length"));
        Assert.Equal(2, file.GetInteger("llama.block_count"));
        Assert.Equal(512, file.GetInteger("llama.feed_forward_length"));
        Assert.Equal(4, file.GetInteger("llama.attention.head_count"));
        Assert.Equal(2, file.GetInteger("llama.attention.head_count_kv"));
        Assert.Equal(64, file.GetInteger("llama.rope.dimension_count"));
        Assert.Equal(2048, file.GetInteger("llama.context_length"));
        Assert.Equal(10000, file.GetFloat("llama.rope.freq_base"));
        Assert.Equal(1e-5, file.GetFloat("llama.attention.layer_norm_rms_epsilon")!.Value, 1e-9);

        var expected = new Dictionary<string, long[]>
        {
            ["token_embd.weight"] = [256, 300], ["output_norm.weight"] = [256], ["output.weight"] = [256, 300],
            ["blk.1.attn_norm.weight"] = [256], ["blk.1.attn_q.weight"] = [256, 256], ["blk.1.attn_k.weight"] = [256, 128],
            ["blk.1.attn_v.weight"] = [256, 128], ["blk.1.attn_output.weight"] = [256, 256], ["blk.1.ffn_norm.weight"] = [256],
            ["blk.1.ffn_gate.weight"] = [256, 512], ["blk.1.ffn_up.weight"] = [256, 512], ["blk.1.ffn_down.weight"] = [512, 256],
        };
        foreach (var (name, dims) in expected)
        {
            var tensor = file.GetTensor(name);
            Assert.Equal(dims, tensor.Dimensions);
            Assert.Equal(dims.Length == 1 ? GgmlType.F32 : type, tensor.Type);
        }
        Assert.Equal(3 + 2 * 9, file.Tensors.Count);
        Assert.Null(file.FindTensor("blk.0.attn_q.bias"));
    }

    [Fact]
    public void Weights_are_small_gaussians_and_norms_scatter_around_one()
    {
        using var file = GgufFile.Open(Write(Spec(type: GgmlType.F32), "stats.gguf"));
        var weights = new float[256 * 512];
        Dequantize.Tensor(file, file.GetTensor("blk.0.ffn_gate.weight"), weights);
        var mean = weights.Average();
        var std = Math.Sqrt(weights.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, -0.001, 0.001);
        Assert.InRange(std, 0.019, 0.021);
        Assert.InRange(weights.Count(v => Math.Abs(v) > 2 * std) / (double)weights.Length, 0.04, 0.05); // 4.55% for a normal
        var norm = new float[256];
        Dequantize.Tensor(file, file.GetTensor("blk.0.attn_norm.weight"), norm);
        Assert.InRange(norm.Average(), 0.99, 1.01);
    }

    [Fact]
    public void Same_seed_gives_the_same_file_and_another_seed_another()
    {
        static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        var a = Hash(Write(Spec(seed: 7), "a.gguf"));
        var b = Hash(Write(Spec(seed: 7), "b.gguf"));
        var c = Hash(Write(Spec(seed: 8), "c.gguf"));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        // Tensors differ from one another too (each has its own stream).
        using var file = GgufFile.Open(Path.Combine(_dir.FullName, "a.gguf"));
        Assert.False(file.TensorData(file.GetTensor("blk.0.attn_q.weight")).SequenceEqual(file.TensorData(file.GetTensor("blk.1.attn_q.weight"))));
    }

    [Fact]
    public void Qwen2_adds_qkv_biases_and_a_million_rope_base()
    {
        using var file = GgufFile.Open(Write(Spec("qwen2", tied: true), "qwen2.gguf"));
        Assert.Equal("qwen2", file.Architecture);
        Assert.Equal(1e6, file.GetFloat("qwen2.rope.freq_base"));
        Assert.Equal([256L], file.GetTensor("blk.0.attn_q.bias").Dimensions);
        Assert.Equal([128L], file.GetTensor("blk.0.attn_k.bias").Dimensions);
        Assert.Equal([128L], file.GetTensor("blk.1.attn_v.bias").Dimensions);
        Assert.Equal(GgmlType.F32, file.GetTensor("blk.1.attn_v.bias").Type);
        Assert.Null(file.FindTensor("output.weight"));
        Assert.True(GgufModelSummary.Describe(file).TiedOutput);
    }

    [Fact]
    public void Qwen3_adds_per_head_q_k_norms_and_key_length()
    {
        var spec = Spec("qwen3") with { HeadDimension = 128 };
        using var file = GgufFile.Open(Write(spec, "qwen3.gguf"));
        Assert.Equal(128, file.GetInteger("qwen3.attention.key_length"));
        Assert.Equal(128, file.GetInteger("qwen3.attention.value_length"));
        Assert.Equal([128L], file.GetTensor("blk.0.attn_q_norm.weight").Dimensions);
        Assert.Equal([128L], file.GetTensor("blk.0.attn_k_norm.weight").Dimensions);
        Assert.Equal([256L, 512L], file.GetTensor("blk.0.attn_q.weight").Dimensions);
        Assert.Equal([512L, 256L], file.GetTensor("blk.0.attn_output.weight").Dimensions);
        Assert.Null(file.FindTensor("blk.0.attn_q.bias"));
    }

    [Fact]
    public void Tokenizer_metadata_is_copied_from_the_vocabulary_file()
    {
        using var file = GgufFile.Open(Write(Spec(), "tok.gguf"));
        Assert.Equal(_vocabulary.GetArray("tokenizer.ggml.tokens")!.As<string>(), file.GetArray("tokenizer.ggml.tokens")!.As<string>());
        Assert.Equal(_vocabulary.GetArray("tokenizer.ggml.scores")!.ToArray<float>(), file.GetArray("tokenizer.ggml.scores")!.ToArray<float>());
        Assert.Equal(_vocabulary.GetString("tokenizer.chat_template"), file.GetString("tokenizer.chat_template"));
        Assert.Equal(1, file.GetInteger("tokenizer.ggml.bos_token_id"));
        Assert.Equal(300, file.GetInteger("llama.vocab_size"));
    }

    [Fact]
    public void Rows_that_are_not_whole_k_blocks_fall_back_to_a_type_that_fits()
    {
        var spec = new SynthSpec { EmbeddingLength = 64, Layers = 1, Heads = 8, KvHeads = 4, FeedForwardLength = 172, WeightType = GgmlType.Q4_K };
        using var file = GgufFile.Open(Write(spec, "odd.gguf"));
        Assert.Equal(GgmlType.Q8_0, file.GetTensor("blk.0.attn_q.weight").Type); // 64 = 2 Q8_0 blocks
        Assert.Equal(GgmlType.F16, file.GetTensor("blk.0.ffn_down.weight").Type); // 172 is not a multiple of 32
        Assert.Equal(GgmlType.Q4_K, ModelSynthesizer.StorageType(GgmlType.Q4_K, 2048));
    }

    [Fact]
    public void Progress_reaches_the_total_and_the_file_has_that_size()
    {
        var reports = new List<SynthProgress>();
        using var stream = new MemoryStream();
        var written = ModelSynthesizer.Write(Spec(), _vocabulary, stream, new ListProgress(reports), TestContext.Current.CancellationToken);
        Assert.Equal(stream.Length, written);
        Assert.Equal(written, reports[^1].TotalBytes);
        Assert.Equal(written, reports[^1].BytesWritten);
        Assert.True(reports.Count > 20);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.BytesWritten <= p.Second.BytesWritten));
    }

    [Fact]
    public void Bad_shapes_are_refused_before_anything_is_written()
    {
        Assert.Contains("divide", Assert.Throws<ArgumentException>(() => ModelSynthesizer.Plan(Spec() with { KvHeads = 3 }, 300)).Message);
        Assert.Contains("architecture", Assert.Throws<ArgumentException>(() => ModelSynthesizer.Plan(Spec("gpt2"), 300)).Message);
        Assert.Contains("positive", Assert.Throws<ArgumentException>(() => ModelSynthesizer.Plan(Spec() with { Layers = 0 }, 300)).Message);
        Assert.Contains("qwen3", Assert.Throws<ArgumentException>(() => ModelSynthesizer.Plan(Spec() with { HeadDimension = 128 }, 300)).Message);
        var path = Path.Combine(_dir.FullName, "never.gguf");
        Assert.Throws<ArgumentException>(() => ModelSynthesizer.WriteFile(Spec() with { Heads = 0 }, _vocabulary, path, null, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".partial"));
    }

    [Fact]
    public void Cancelling_leaves_no_partial_file()
    {
        var path = Path.Combine(_dir.FullName, "cancelled.gguf");
        using var cancel = new CancellationTokenSource();
        var progress = new ListProgress([], afterReports: 3, cancel);
        Assert.ThrowsAny<OperationCanceledException>(() => ModelSynthesizer.WriteFile(Spec(), _vocabulary, path, progress, cancel.Token));
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".partial"));
    }

    private sealed class ListProgress(List<SynthProgress> reports, int afterReports = int.MaxValue, CancellationTokenSource? cancel = null) : IProgress<SynthProgress>
    {
        public void Report(SynthProgress value)
        {
            reports.Add(value);
            if (reports.Count >= afterReports) cancel?.Cancel();
        }
    }
}
