using System.Text.Json;
using ModelRace.Local.Tests;

namespace ModelRace.Cli.Tests;

/// <summary>`modelrace pull` against a fake hub on loopback.</summary>
public sealed class PullCommandTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new();
    private readonly byte[] _model = "fake gguf bytes for the pull command"u8.ToArray();
    private HubFakeServer _hub = null!;

    public async ValueTask InitializeAsync()
    {
        _hub = await HubFakeServer.StartAsync();
        _hub.Repos["acme/tiny-GGUF"] = new HubFakeServer.FakeRepo(new() { ["tiny-Q4_K_M.gguf"] = _model, ["tiny-Q8_0.gguf"] = "q8"u8.ToArray() });
        _cli.Environment["HF_ENDPOINT"] = _hub.Endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _cli.Dispose();
    }

    [Fact]
    public async Task Pull_downloads_into_the_cache_and_reports_the_path()
    {
        var result = await _cli.RunAsync("pull", "acme/tiny-GGUF:Q4_K_M");
        Assert.True(result.ExitCode == 0, result.Error);
        var path = Path.Combine(_cli.Home, "cache", "hub", "acme", "tiny-GGUF", "tiny-Q4_K_M.gguf");
        Assert.Equal(_model, await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
        Assert.Contains("SHA-256 verified", result.Console);

        var again = await _cli.RunAsync("pull", "hf:acme/tiny-GGUF:Q4_K_M", "--json");
        Assert.Equal(0, again.ExitCode);
        using var json = JsonDocument.Parse(again.Out);
        Assert.Equal(path, json.RootElement.GetProperty("path").GetString());
        Assert.True(json.RootElement.GetProperty("already_cached").GetBoolean());
        Assert.Equal(HubFakeServer.Sha256(_model), json.RootElement.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task Pull_errors_are_one_clear_line()
    {
        var ambiguous = await _cli.RunAsync("pull", "acme/tiny-GGUF");
        Assert.Equal(1, ambiguous.ExitCode);
        Assert.Contains("tiny-Q4_K_M.gguf, tiny-Q8_0.gguf", ambiguous.Error);

        var malformed = await _cli.RunAsync("pull", "not-a-repo");
        Assert.Equal(1, malformed.ExitCode);
        Assert.Contains("owner/repo:QUANT", malformed.Error);

        _cli.Environment["HF_ENDPOINT"] = "http://127.0.0.1:1";
        var offline = await _cli.RunAsync("pull", "acme/tiny-GGUF:Q8_0");
        Assert.Equal(1, offline.ExitCode);
        Assert.Contains("--model path/to/model.gguf", offline.Error);
    }

    [Fact]
    public async Task Pull_help_names_the_default_model_and_the_environment_variables()
    {
        var result = await _cli.RunAsync("pull", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M", result.Out);
        Assert.Contains("HF_TOKEN", result.Out);
    }
}
