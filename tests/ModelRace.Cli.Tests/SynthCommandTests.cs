using System.Text.Json;
using ModelRace.Local.Gguf;

namespace ModelRace.Cli.Tests;

public sealed class SynthCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Vocabulary() => GgufTestVocabulary.Write(Path.Combine(_cli.WorkDir, "vocab.gguf"));

    [Fact]
    public async Task Synth_writes_the_requested_shape_with_a_progress_bar()
    {
        var vocab = Vocabulary();
        using var terminal = new CliHarness { Interactive = true };
        var result = await terminal.RunAsync("synth", "--arch", "llama", "--embd", "256", "--layers", "3", "--heads", "8", "--kv-heads", "2",
            "--ff", "768", "--vocab-from", vocab, "--type", "q6_k", "--seed", "42", "out.gguf");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Matches(@"writing out\.gguf.*100%", result.Console);
        Assert.Contains("Wrote", result.Console);
        using var file = GgufFile.Open(Path.Combine(terminal.WorkDir, "out.gguf"));
        Assert.Equal(3, file.GetInteger("llama.block_count"));
        Assert.Equal(8, file.GetInteger("llama.attention.head_count"));
        Assert.Equal(2, file.GetInteger("llama.attention.head_count_kv"));
        Assert.Equal(GgmlType.Q6_K, file.GetTensor("blk.2.ffn_down.weight").Type);
        Assert.Equal([256L, 64L], file.GetTensor("blk.2.attn_k.weight").Dimensions);
        Assert.NotNull(file.FindTensor("output.weight"));
    }

    [Fact]
    public async Task Synth_json_reports_size_and_parameters()
    {
        var vocab = Vocabulary();
        var result = await _cli.RunAsync("synth", "--arch", "qwen3", "--embd", "128", "--layers", "1", "--heads", "2", "--head-dim", "128",
            "--ff", "256", "--vocab-from", vocab, "--type", "f16", "--tied", "--json", "q3.gguf");
        Assert.True(result.ExitCode == 0, result.Error);
        var root = JsonDocument.Parse(result.Out).RootElement;
        Assert.Equal(new FileInfo(Path.Combine(_cli.WorkDir, "q3.gguf")).Length, root.GetProperty("bytes").GetInt64());
        long expected = 300 * 128 + 128 + 2 * 128 + 128 * 256 + 2 * 128 * 256 + 256 * 128 + 128 + 3 * 128 * 256 + 128;
        Assert.Equal(expected, root.GetProperty("parameters").GetInt64());
    }

    [Fact]
    public async Task Synth_refuses_bad_options_with_clear_messages()
    {
        var vocab = Vocabulary();
        string[] shape = ["--embd", "256", "--layers", "1", "--heads", "4", "--ff", "512"];
        var badType = await _cli.RunAsync(["synth", .. shape, "--vocab-from", vocab, "--type", "q3_k", "x.gguf"]);
        Assert.Equal(1, badType.ExitCode);
        Assert.Contains("--type 'q3_k' is not one of", badType.Error);

        var badHeads = await _cli.RunAsync(["synth", .. shape, "--kv-heads", "3", "--vocab-from", vocab, "x.gguf"]);
        Assert.Contains("must be positive and divide the head count 4", badHeads.Error);

        var noVocab = await _cli.RunAsync(["synth", .. shape, "--vocab-from", "missing.gguf", "x.gguf"]);
        Assert.Contains("--vocab-from: no such file", noVocab.Error);

        var noTokens = Path.Combine(_cli.WorkDir, "empty.gguf");
        using (var writer = new GgufWriter(File.Create(noTokens))) writer.Finish();
        var empty = await _cli.RunAsync(["synth", .. shape, "--vocab-from", noTokens, "x.gguf"]);
        Assert.Contains("has no tokenizer.ggml.tokens", empty.Error);
        Assert.False(File.Exists(Path.Combine(_cli.WorkDir, "x.gguf")));

        File.WriteAllText(Path.Combine(_cli.WorkDir, "taken.gguf"), "keep me");
        var exists = await _cli.RunAsync(["synth", .. shape, "--vocab-from", vocab, "taken.gguf"]);
        Assert.Contains("pass --force", exists.Error);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(_cli.WorkDir, "taken.gguf")));
        var forced = await _cli.RunAsync(["synth", .. shape, "--vocab-from", vocab, "--force", "--json", "taken.gguf"]);
        Assert.Equal(0, forced.ExitCode);
    }
}
