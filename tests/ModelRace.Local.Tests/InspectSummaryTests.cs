using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tests;

/// <summary>The facts of shared/README.md's table, read back by <see cref="GgufModelSummary"/>.</summary>
public class InspectSummaryTests
{
    public static TheoryData<string, string, GgmlType, int, string, bool> TinyModels => new()
    {
        { "tiny-llama-spm-f16.gguf", "llama", GgmlType.F16, 32000, "llama", false },
        { "tiny-llama-spm-q8_0.gguf", "llama", GgmlType.Q8_0, 32000, "llama", false },
        { "tiny-llama-spm-q4_0.gguf", "llama", GgmlType.Q4_0, 32000, "llama", false },
        { "tiny-llama-spm-q4_k.gguf", "llama", GgmlType.Q4_K, 32000, "llama", false },
        { "tiny-llama-spm-q6_k.gguf", "llama", GgmlType.Q6_K, 32000, "llama", false },
        { "tiny-qwen2-bpe-f16.gguf", "qwen2", GgmlType.F16, 50257, "gpt2", true },
        { "tiny-qwen2-bpe-q8_0.gguf", "qwen2", GgmlType.Q8_0, 50257, "gpt2", true },
        { "tiny-qwen2-bpe-q4_k.gguf", "qwen2", GgmlType.Q4_K, 50257, "gpt2", true },
    };

    [Theory]
    [MemberData(nameof(TinyModels))]
    public void Tiny_models_are_described_as_the_shared_readme_says(string name, string arch, GgmlType weights, int vocab, string tokenizer, bool tied)
    {
        var dir = SharedData.RequireDirectory("gguf/models");
        using var file = GgufFile.Open(Path.Combine(dir, name));
        var s = GgufModelSummary.Describe(file);
        Assert.Equal(arch, s.Architecture);
        Assert.Equal(256, s.EmbeddingLength);
        Assert.Equal(2, s.BlockCount);
        Assert.Equal(4, s.HeadCount);
        Assert.Equal(2, s.HeadCountKv);
        Assert.Equal(64, s.HeadDimension);
        Assert.Equal(768, s.FeedForwardLength);
        Assert.Equal(vocab, s.VocabSize);
        Assert.Equal(tokenizer, s.TokenizerModel);
        Assert.Equal(tied, s.TiedOutput);
        if (arch == "qwen2") Assert.Equal(1e6, s.RopeFreqBase);
        Assert.NotNull(s.ContextLength);

        // "Pure" quantization: every 2-D weight has the named type, only the 1-D norms (and biases) are F32.
        var types = s.TypeMix.Select(t => t.Type).ToHashSet();
        Assert.Equal(new HashSet<GgmlType> { weights, GgmlType.F32 }, types);
        var weightShare = s.TypeMix.Single(t => t.Type == weights);
        Assert.Equal(file.Tensors.Count(t => t.Dimensions.Count == 2), weightShare.Tensors);
        Assert.Equal(file.Tensors.Where(t => t.Type == weights).Sum(t => t.ByteSize), weightShare.Bytes);

        // Parameters: embeddings, (output head,) and per layer q, k, v, o, gate, up, down and norms.
        long perLayer = 256 * 256 + 2 * 256 * 128 + 256 * 256 + 3 * 256 * 768 + 2 * 256 + (arch == "qwen2" ? 256 + 2 * 128 : 0);
        var expected = (long)vocab * 256 * (tied ? 1 : 2) + 2 * perLayer + 256;
        Assert.Equal(expected, s.ParameterCount);
    }

    [Fact]
    public void Stories260K_is_a_small_f32_llama()
    {
        var dir = SharedData.RequireDirectory("gguf/models");
        using var file = GgufFile.Open(Path.Combine(dir, "stories260K.gguf"));
        var s = GgufModelSummary.Describe(file);
        Assert.Equal("llama", s.Architecture);
        Assert.Equal(64, s.EmbeddingLength);
        Assert.Equal(5, s.BlockCount);
        Assert.Equal(8, s.HeadCount);
        Assert.Equal(4, s.HeadCountKv);
        Assert.Equal(172, s.FeedForwardLength);
        Assert.Equal(512, s.VocabSize);
        Assert.Equal("llama", s.TokenizerModel);
        Assert.Equal([GgmlType.F32], s.TypeMix.Select(t => t.Type));
        Assert.InRange(s.ParameterCount, 250_000, 300_000);
    }

    [Fact]
    public void Summary_of_a_file_without_model_metadata_leaves_facts_null()
    {
        using var file = GgufFile.FromBytes(GgufFixtures.SmallModel());
        var s = GgufModelSummary.Describe(file);
        Assert.Equal("llama", s.Architecture);
        Assert.Null(s.EmbeddingLength);
        Assert.Null(s.HeadDimension);
        Assert.Null(s.ChatTemplate);
        Assert.Equal(5, s.VocabSize);
        Assert.Equal(32 * 5 + 7 + 6 + 512, s.ParameterCount);
        Assert.Equal(4, s.TypeMix.Count);
    }
}
