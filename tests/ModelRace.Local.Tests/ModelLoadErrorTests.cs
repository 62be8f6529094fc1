using ModelRace.Local.Gguf;
using ModelRace.Local.Model;

namespace ModelRace.Local.Tests;

public sealed class ModelLoadErrorTests
{
    [Fact]
    public void An_unsupported_architecture_is_refused_with_the_supported_list()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(new TestModelShape { Architecture = "gpt2", Layers = 1 }));
        var error = Assert.Throws<NotSupportedException>(() => new Transformer(file));
        Assert.Contains("'gpt2'", error.Message);
        Assert.Contains("llama, qwen2, qwen3", error.Message);
    }

    [Theory]
    [InlineData("blk.1.ffn_up.weight")]
    [InlineData("output_norm.weight")]
    [InlineData("blk.0.attn_k_norm.weight")]
    public void A_missing_tensor_is_named(string tensor)
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(new TestModelShape { Architecture = "qwen3", Layers = 2, OmitTensors = [tensor] }));
        var error = Assert.Throws<GgufFormatException>(() => new Transformer(file));
        Assert.Contains($"'{tensor}'", error.Message);
    }

    [Fact]
    public void Qwen2_requires_its_attention_biases()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(new TestModelShape { Architecture = "qwen2", Layers = 1, OmitTensors = ["blk.0.attn_v.bias"] }));
        Assert.Contains("'blk.0.attn_v.bias'", Assert.Throws<GgufFormatException>(() => new Transformer(file)).Message);
    }

    [Fact]
    public void Tied_models_use_the_token_embeddings_as_output_head()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(new TestModelShape { Tied = true, Layers = 1 }));
        using var model = new Transformer(file);
        Assert.Equal("token_embd.weight", model.Weights.Output.Name);
        Assert.Equal(64, model.Config.HeadDim);
        Assert.Equal(RopeLayout.Adjacent, model.Config.RopeLayout);
    }

    [Fact]
    public void Qwen_uses_the_neox_rope_layout_and_reads_head_dim_from_key_length()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(new TestModelShape { Architecture = "qwen3", Embedding = 128, Heads = 4, HeadDim = 64, Layers = 1 }));
        using var model = new Transformer(file);
        Assert.Equal(RopeLayout.Halves, model.Config.RopeLayout);
        Assert.Equal(64, model.Config.HeadDim);
        Assert.Equal(256, model.Config.QueryDim);
        Assert.True(model.Config.HasQkNorm);
    }
}
