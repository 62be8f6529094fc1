using System.Text;
using System.Text.Json;
using ModelRace.Local.Gguf;
using ModelRace.Local.Tokenizers;

namespace ModelRace.Local.Tests;

/// <summary>llama.cpp's own tokenizer test vectors and the tiny models' oracle prompts, which must match id for id.</summary>
public class TokenizerConformanceTests
{
    public static TheoryData<string> Vocabularies => new() { "llama-spm", "phi-3", "gpt-2", "falcon" };

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void Every_llama_cpp_vector_tokenizes_to_the_same_ids(string vocab)
    {
        var directory = SharedData.RequireDirectory("gguf/vocab");
        var path = Path.Combine(directory, $"ggml-vocab-{vocab}.gguf");
        var tokenizer = Tokenizer.FromGguf(path);
        var inputs = File.ReadAllText(path + ".inp", Encoding.UTF8).Split("\n__ggml_vocab_test__\n");
        var expected = File.ReadAllLines(path + ".out", Encoding.UTF8);
        Assert.Equal(expected.Length, inputs.Length - 1);
        var failures = new List<string>();
        for (var i = 0; i < expected.Length; i++)
        {
            var want = expected[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            var got = tokenizer.Encode(inputs[i], addSpecial: false, parseSpecial: false);
            if (!want.SequenceEqual(got))
                failures.Add($"#{i} {JsonSerializer.Serialize(inputs[i])}\n  want {string.Join(' ', want)}\n  got  {string.Join(' ', got)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {expected.Length} vectors differ:\n{string.Join('\n', failures)}");
    }

    [Theory]
    [InlineData("tiny-llama-spm-f16", "prompts.txt")]
    [InlineData("tiny-qwen2-bpe-f16", "prompts.txt")]
    [InlineData("stories260K", "stories-prompts.txt")]
    public void Oracle_prompt_tokens_match_with_special_tokens_added(string model, string promptFile)
    {
        var oracle = SharedData.RequireDirectory("gguf/oracle");
        var modelPath = SharedData.RequireFile($"gguf/models/{model}.gguf");
        var tokenizer = Tokenizer.FromGguf(modelPath);
        var prompts = File.ReadAllLines(Path.Combine(oracle, promptFile), Encoding.UTF8).Where(l => l.Length > 0).ToArray();
        var records = File.ReadAllLines(Path.Combine(oracle, model + ".jsonl")).Where(l => l.Length > 0).ToArray();
        Assert.Equal(prompts.Length, records.Length);
        for (var i = 0; i < prompts.Length; i++)
        {
            using var record = JsonDocument.Parse(records[i]);
            Assert.Equal(prompts[i], record.RootElement.GetProperty("prompt").GetString());
            var want = record.RootElement.GetProperty("prompt_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(want, tokenizer.Encode(prompts[i], addSpecial: true));
        }
    }

    [Fact]
    public void Falcon_hello_world_matches_llama_cpp()
    {
        var path = SharedData.RequireFile("gguf/vocab/ggml-vocab-falcon.gguf");
        var tokenizer = Tokenizer.FromGguf(path);
        Assert.Equal(TokenizerKind.BytePairEncoding, tokenizer.Kind);
        Assert.Equal([9856, 1079], tokenizer.Encode("Hello world", addSpecial: false));
    }
}
