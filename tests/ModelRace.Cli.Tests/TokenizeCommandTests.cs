using System.Text.Json;

namespace ModelRace.Cli.Tests;

/// <summary>`modelrace tokenize` against llama.cpp's Falcon vocabulary in ../shared (skipped when it is absent).</summary>
public sealed class TokenizeCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static string FalconVocab()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "shared", "gguf", "vocab", "ggml-vocab-falcon.gguf");
            if (File.Exists(path)) return path;
        }
        Assert.Skip("../shared/gguf/vocab is not present beside the repository; skipping the tokenize command test.");
        return "";
    }

    [Fact]
    public async Task Prints_the_ids_llama_cpp_gives_on_one_line()
    {
        var result = await _cli.RunAsync("tokenize", "--model", FalconVocab(), "--no-bos", "Hello world");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("9856 1079", result.Out.Trim());
    }

    [Fact]
    public async Task Pieces_pairs_each_id_with_its_text()
    {
        var result = await _cli.RunAsync("tokenize", "--model", FalconVocab(), "--pieces", "Hello world");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("9856 -> 'Hello'", result.Console);
        Assert.Contains("1079 -> ' world'", result.Console);
    }

    [Fact]
    public async Task Json_lists_id_piece_and_vocabulary_text()
    {
        var result = await _cli.RunAsync("tokenize", "--model", FalconVocab(), "--json", "Hello world");
        using var json = JsonDocument.Parse(result.Out);
        var second = json.RootElement[1];
        Assert.Equal(1079, second.GetProperty("id").GetInt32());
        Assert.Equal(" world", second.GetProperty("piece").GetString());
        Assert.Equal("Ġworld", second.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Missing_model_file_is_a_clear_error()
    {
        var result = await _cli.RunAsync("tokenize", "--model", Path.Combine(_cli.WorkDir, "none.gguf"), "x");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("does not exist", result.Error + result.Console);
    }
}
