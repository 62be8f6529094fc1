using System.Text;
using ModelRace.Local.Chat;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tests;

/// <summary>Which template a model gets: forced name, the file's own, or a built-in chosen by architecture.</summary>
public sealed class ChatTemplateSelectionTests
{
    private static ChatTemplateModelInfo Model(string? architecture, string? embedded = null, bool llama3Vocabulary = false) =>
        new(architecture, embedded is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [""] = embedded }, llama3Vocabulary);

    [Theory]
    [InlineData("llama", true, "llama3")]
    [InlineData("llama", false, "llama2")]
    [InlineData("qwen2", false, "chatml")]
    [InlineData("qwen3", false, "chatml")]
    [InlineData("gemma2", false, "gemma")]
    [InlineData("phi3", false, "phi3")]
    [InlineData("mamba", false, "chatml")]
    [InlineData(null, false, "chatml")]
    public void Files_without_a_template_get_the_built_in_for_their_architecture(string? architecture, bool llama3Vocabulary, string expected)
    {
        Assert.Equal(expected, ChatTemplate.Select(Model(architecture, llama3Vocabulary: llama3Vocabulary)).Name);
    }

    [Fact]
    public void The_files_own_template_wins_unless_a_name_is_forced()
    {
        var model = Model("llama", "{{ 'own' }}");
        Assert.Equal("gguf", ChatTemplate.Select(model).Name);
        Assert.Equal("own", ChatTemplate.Select(model).Render([]));
        Assert.Equal("gguf", ChatTemplate.Select(model, "auto").Name);
        Assert.Equal("phi3", ChatTemplate.Select(model, "phi3").Name);
    }

    [Fact]
    public void A_forced_name_may_pick_a_named_template_stored_in_the_file()
    {
        var model = new ChatTemplateModelInfo("llama", new Dictionary<string, string> { [""] = "{{ 'default' }}", ["tool_use"] = "{{ 'tools' }}" }, false);
        var template = ChatTemplate.Select(model, "tool_use");
        Assert.Equal("gguf:tool_use", template.Name);
        Assert.Equal("tools", template.Render([]));
    }

    [Fact]
    public void An_unknown_forced_name_lists_the_choices()
    {
        var model = new ChatTemplateModelInfo("llama", new Dictionary<string, string> { ["tool_use"] = "x" }, false);
        var error = Assert.Throws<ArgumentException>(() => ChatTemplate.Select(model, "vicuna"));
        Assert.Contains("chatml", error.Message);
        Assert.Contains("llama3", error.Message);
        Assert.Contains("tool_use", error.Message);
    }

    [Fact]
    public void ForModel_reads_template_and_special_tokens_from_gguf_metadata()
    {
        string[] tokens = ["<unk>", "<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>"];
        using var withoutTemplate = GgufFile.FromBytes(GgufBytes("llama", tokens, bos: 1, eos: 2, template: null));
        var chosen = ChatTemplate.ForModel(withoutTemplate);
        Assert.Equal("llama3", chosen.Name);
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            chosen.Render([ChatTemplateMessage.User("Hi")]));

        using var withTemplate = GgufFile.FromBytes(GgufBytes("qwen2", tokens[..3], bos: 1, eos: 2, template: "{{ bos_token }}|{{ messages[0].content }}|{{ eos_token }}"));
        var own = ChatTemplate.ForModel(withTemplate);
        Assert.Equal("gguf", own.Name);
        Assert.Equal("<|begin_of_text|>|Hi|<|eot_id|>", own.Render([ChatTemplateMessage.User("Hi")]));
        Assert.Equal("llama2", ChatTemplate.ForModel(GgufFile.FromBytes(GgufBytes("llama", tokens[..3], 1, 2, null))).Name);
    }

    [Fact]
    public void Shared_tiny_models_get_a_template_that_renders()
    {
        var models = SharedData.RequireDirectory("gguf/models");
        foreach (var name in new[] { "tiny-llama-spm-q8_0.gguf", "tiny-qwen2-bpe-q8_0.gguf" })
        {
            var path = Path.Combine(models, name);
            if (!File.Exists(path)) Assert.Skip($"{path} is missing from shared/; skipping.");
            using var file = GgufFile.Open(path);
            var prompt = ChatTemplate.ForModel(file).Render([ChatTemplateMessage.User("Hello")]);
            Assert.Contains("Hello", prompt);
        }
    }

    /// <summary>A GGUF v3 file with metadata only: enough for template selection.</summary>
    private static byte[] GgufBytes(string architecture, string[] tokens, uint bos, uint eos, string? template)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        void Str(string s) { var b = Encoding.UTF8.GetBytes(s); writer.Write((ulong)b.Length); writer.Write(b); }
        var count = template is null ? 4 : 5;
        writer.Write("GGUF"u8.ToArray());
        writer.Write(3u);
        writer.Write(0ul);
        writer.Write((ulong)count);
        Str("general.architecture"); writer.Write((uint)GgufValueType.String); Str(architecture);
        Str("tokenizer.ggml.tokens"); writer.Write((uint)GgufValueType.Array); writer.Write((uint)GgufValueType.String); writer.Write((ulong)tokens.Length);
        foreach (var t in tokens) Str(t);
        Str("tokenizer.ggml.bos_token_id"); writer.Write((uint)GgufValueType.UInt32); writer.Write(bos);
        Str("tokenizer.ggml.eos_token_id"); writer.Write((uint)GgufValueType.UInt32); writer.Write(eos);
        if (template is not null) { Str("tokenizer.chat_template"); writer.Write((uint)GgufValueType.String); Str(template); }
        writer.Flush();
        return stream.ToArray();
    }
}
