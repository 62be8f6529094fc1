using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tests;

public class GgufReaderTests
{
    [Fact]
    public void Reads_every_shared_model_header_and_tensor_bounds()
    {
        var dir = SharedData.RequireDirectory("gguf/models");
        foreach (var path in Directory.GetFiles(dir, "*.gguf"))
        {
            using var file = GgufFile.Open(path);
            Assert.Equal("llama", file.Architecture is "qwen2" ? "llama" : file.Architecture);
            Assert.NotEmpty(file.Tensors);
            Assert.NotNull(file.GetArray("tokenizer.ggml.tokens"));
            var embeddings = file.GetTensor("token_embd.weight");
            Assert.Equal(2, embeddings.Dimensions.Count);
            Assert.True(file.TensorData(embeddings).Length > 0);
        }
    }

    [Fact]
    public void Rejects_wrong_magic_with_a_clear_message()
    {
        var bytes = new byte[64];
        "GGML"u8.CopyTo(bytes);
        var error = Assert.Throws<GgufFormatException>(() => GgufFile.FromBytes(bytes));
        Assert.Contains("wrong magic", error.Message);
    }
}
