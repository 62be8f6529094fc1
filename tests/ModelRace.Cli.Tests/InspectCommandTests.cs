using System.Text.Json;
using ModelRace.Local.Gguf;

namespace ModelRace.Cli.Tests;

public sealed class InspectCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>A qwen2 model made by `modelrace synth`, with a tokenizer written here (no external data needed).</summary>
    private async Task<string> SynthesizedModel()
    {
        var vocab = GgufTestVocabulary.Write(Path.Combine(_cli.WorkDir, "vocab.gguf"));
        var result = await _cli.RunAsync("synth", "--arch", "qwen2", "--embd", "256", "--layers", "2", "--heads", "4", "--kv-heads", "2",
            "--ff", "512", "--vocab-from", vocab, "--type", "q4_k", "--tied", "--json", "model.gguf");
        Assert.True(result.ExitCode == 0, result.Error);
        return Path.Combine(_cli.WorkDir, "model.gguf");
    }

    [Fact]
    public async Task Inspect_describes_architecture_shape_types_tokenizer_and_template()
    {
        var model = await SynthesizedModel();
        var result = await _cli.RunAsync("inspect", model);
        Assert.Equal(0, result.ExitCode);
        foreach (var expected in new[] { "qwen2", "4 / 2 (head dim 64)", "tied to token_embd", "Q4_K", "F32", "llama (pre absent), vocab 300", "{% for m in messages %}" })
            Assert.Contains(expected, result.Console);
        Assert.Contains("2048", result.Console); // context length
    }

    [Fact]
    public async Task Inspect_json_gives_the_facts_and_requested_keys_in_full()
    {
        var model = await SynthesizedModel();
        var result = await _cli.RunAsync("inspect", model, "--json", "--key", "qwen2.rope.freq_base", "--key", "tokenizer.ggml.tokens", "--tensors");
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        Assert.Equal("qwen2", root.GetProperty("architecture").GetString());
        Assert.Equal(256, root.GetProperty("embedding_length").GetInt64());
        Assert.Equal(2, root.GetProperty("block_count").GetInt64());
        Assert.True(root.GetProperty("tied_output").GetBoolean());
        Assert.Equal(300, root.GetProperty("tokenizer").GetProperty("vocab_size").GetInt32());
        var mix = root.GetProperty("type_mix").EnumerateArray().ToDictionary(e => e.GetProperty("type").GetString()!, e => e.GetProperty("tensors").GetInt32());
        Assert.Equal(1 + 2 * 7, mix["Q4_K"]);
        Assert.Equal(1 + 2 * 5, mix["F32"]); // norms and qkv biases
        Assert.Equal(1_000_000, root.GetProperty("keys").GetProperty("qwen2.rope.freq_base").GetDouble());
        Assert.Equal(300, root.GetProperty("keys").GetProperty("tokenizer.ggml.tokens").GetArrayLength());
        Assert.Equal("tok299", root.GetProperty("keys").GetProperty("tokenizer.ggml.tokens")[299].GetString());
        Assert.Contains(root.GetProperty("tensors").EnumerateArray(), t => t.GetProperty("name").GetString() == "blk.1.attn_v.bias");
    }

    [Fact]
    public async Task Inspect_reports_missing_files_bad_files_and_missing_keys_clearly()
    {
        var missing = await _cli.RunAsync("inspect", "absent.gguf");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no such file", missing.Error);

        File.WriteAllText(Path.Combine(_cli.WorkDir, "notes.gguf"), "these are not the weights you are looking for");
        var bad = await _cli.RunAsync("inspect", "notes.gguf");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("wrong magic", bad.Error);

        var model = await SynthesizedModel();
        var noKey = await _cli.RunAsync("inspect", model, "--key", "qwen2.rope.scaling");
        Assert.Equal(1, noKey.ExitCode);
        Assert.Contains("no metadata key 'qwen2.rope.scaling'", noKey.Error);
        Assert.Contains("qwen2.rope.freq_base", noKey.Error);
    }

    [Fact]
    public async Task Inspect_describes_every_shared_model()
    {
        var dir = SharedModels.Directory();
        foreach (var path in System.IO.Directory.GetFiles(dir, "*.gguf"))
        {
            var result = await _cli.RunAsync("inspect", path, "--json");
            Assert.True(result.ExitCode == 0, $"{path}: {result.Error}");
            var root = JsonDocument.Parse(result.Out).RootElement;
            var stories = Path.GetFileName(path) == "stories260K.gguf";
            Assert.Equal(stories ? 64 : 256, root.GetProperty("embedding_length").GetInt64());
            Assert.Equal(stories ? 5 : 2, root.GetProperty("block_count").GetInt64());
            Assert.Equal(stories ? 8 : 4, root.GetProperty("head_count").GetInt64());
            Assert.Equal(stories ? 4 : 2, root.GetProperty("head_count_kv").GetInt64());
            Assert.Equal(stories ? 172 : 768, root.GetProperty("feed_forward_length").GetInt64());
            var vocab = root.GetProperty("tokenizer").GetProperty("vocab_size").GetInt32();
            Assert.Equal(stories ? 512 : path.Contains("qwen2") ? 50257 : 32000, vocab);
            var types = root.GetProperty("type_mix").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
            var named = Path.GetFileNameWithoutExtension(path).Split('-')[^1].ToUpperInvariant();
            Assert.Contains(stories ? "F32" : named, types);
        }
    }
}

/// <summary>Finds ../shared/gguf/models beside the repository, or skips the test with a clear message.</summary>
internal static class SharedModels
{
    public static string Directory()
    {
        if (Environment.GetEnvironmentVariable("MODELRACE_SHARED") is { Length: > 0 } fromEnv && System.IO.Directory.Exists(Path.Combine(fromEnv, "gguf/models")))
            return Path.Combine(fromEnv, "gguf/models");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "gguf", "models");
            if (File.Exists(Path.Combine(dir.FullName, "shared", "README.md")) && System.IO.Directory.Exists(candidate)) return candidate;
        }
        Assert.Skip("../shared is not present beside the repository (it holds the tiny reference models); skipping.");
        return "";
    }
}

/// <summary>A vocabulary-only GGUF written with the project's own writer.</summary>
internal static class GgufTestVocabulary
{
    public static string Write(string path)
    {
        using var writer = new GgufWriter(File.Create(path));
        writer.AddMetadata("general.architecture", GgufValue.Of("llama"));
        writer.AddMetadata("tokenizer.ggml.model", GgufValue.Of("llama"));
        writer.AddMetadata("tokenizer.ggml.tokens", GgufValue.ArrayOf(GgufValueType.String, Enumerable.Range(0, 300).Select(i => (object)$"tok{i}")));
        writer.AddMetadata("tokenizer.chat_template", GgufValue.Of("{% for m in messages %}{{ m.content }}{% endfor %}"));
        writer.Finish();
        return path;
    }
}
