using System.Text.Json;

namespace ModelRace.Cli.Tests;

public sealed class GenerateCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static string Stories()
    {
        var path = Environment.GetEnvironmentVariable("MODELRACE_SHARED") is { Length: > 0 } shared
            ? Path.Combine(shared, "gguf/models/stories260K.gguf")
            : FindUp("shared/gguf/models/stories260K.gguf");
        if (!File.Exists(path)) Assert.Skip("../shared (llama.cpp reference models) is not present beside the repository; skipping.");
        return path;
    }

    private static string FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
            if (dir.Parent is { } parent && File.Exists(Path.Combine(parent.FullName, relative))) return Path.Combine(parent.FullName, relative);
        }
        return relative;
    }

    [Fact]
    public async Task Generate_raw_from_bos_streams_the_story()
    {
        var result = await _cli.RunAsync("generate", "--model", Stories(), "--raw", "--temp", "0", "-n", "20", "");
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", result.Out);
        Assert.Contains("tokens/s", result.Error);
    }

    [Fact]
    public async Task Generate_json_lists_prompt_tokens_tokens_and_text()
    {
        var result = await _cli.RunAsync("generate", "--model", Stories(), "--raw", "--temp", "0", "-n", "5", "--json", "Once upon a time");
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal([1, 403, 407, 261, 378], json.RootElement.GetProperty("prompt_tokens").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([432, 383, 286, 261, 376], json.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(", there was a little", json.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Generate_without_raw_applies_the_chat_template()
    {
        var raw = await _cli.RunAsync("generate", "--model", Stories(), "--raw", "--temp", "0", "-n", "3", "--json", "Hello");
        var chat = await _cli.RunAsync("generate", "--model", Stories(), "--temp", "0", "-n", "3", "--json", "Hello");
        Assert.Equal(0, chat.ExitCode);
        var rawTokens = JsonDocument.Parse(raw.Out).RootElement.GetProperty("prompt_tokens").GetArrayLength();
        var chatTokens = JsonDocument.Parse(chat.Out).RootElement.GetProperty("prompt_tokens");
        Assert.True(chatTokens.GetArrayLength() > rawTokens);
        Assert.Equal(1, chatTokens.EnumerateArray().Count(t => t.GetInt32() == 1)); // one BOS, never two
    }

    [Fact]
    public async Task Generate_refuses_a_prompt_longer_than_the_context_and_a_missing_file()
    {
        var tooLong = await _cli.RunAsync("generate", "--model", Stories(), "--raw", "--ctx", "4", "Once upon a time there was");
        Assert.NotEqual(0, tooLong.ExitCode);
        Assert.Contains("do not fit in the context of 4", tooLong.Error + tooLong.Console);
        var missing = await _cli.RunAsync("generate", "--model", Path.Combine(_cli.WorkDir, "nope.gguf"), "--raw", "x");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("does not exist", missing.Error + missing.Console);
    }
}
