using ModelRace.Local.Hub;

namespace ModelRace.Local.Tests;

/// <summary>ModelResolver: local paths as is, hub specs pulled once and then served from the cache.</summary>
public sealed class PullModelResolverTests : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("modelrace-resolve-").FullName;
    private readonly byte[] _model = "GGUF-fake-model-bytes"u8.ToArray();
    private HubFakeServer _hub = null!;

    public async ValueTask InitializeAsync()
    {
        _hub = await HubFakeServer.StartAsync();
        _hub.Repos["Qwen/Qwen2.5-0.5B-Instruct-GGUF"] = new HubFakeServer.FakeRepo(new()
        {
            [ModelResolver.DefaultLocalModelFile] = _model,
            ["qwen2.5-0.5b-instruct-q8_0.gguf"] = "other"u8.ToArray(),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }

    private HubOptions Options(string endpoint) =>
        HubOptions.FromEnvironment(new Dictionary<string, string> { ["HF_ENDPOINT"] = endpoint, ["MODELRACE_HOME"] = _home }.GetValueOrDefault);

    [Fact]
    public async Task An_existing_file_is_used_as_is()
    {
        var path = Path.Combine(_home, "mine.gguf");
        await File.WriteAllBytesAsync(path, _model, TestContext.Current.CancellationToken);
        Assert.Equal(path, await ModelResolver.ResolveAsync(path, Options("http://127.0.0.1:1"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Empty(_hub.Requests);
    }

    [Fact]
    public async Task A_missing_local_file_is_reported_as_such()
    {
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            ModelResolver.ResolveAsync(Path.Combine(_home, "absent.gguf"), Options(_hub.Endpoint), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("hf:owner/repo:QUANT", error.Message);
    }

    [Fact]
    public async Task The_default_model_is_downloaded_on_first_use_then_served_from_the_cache_offline()
    {
        var messages = new List<string>();
        var path = await ModelResolver.ResolveAsync(ModelResolver.DefaultLocalModel, Options(_hub.Endpoint), notify: messages.Add,
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(Path.Combine(_home, "cache", "hub", "Qwen", "Qwen2.5-0.5B-Instruct-GGUF", ModelResolver.DefaultLocalModelFile), path);
        Assert.Equal(_model, await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
        var message = Assert.Single(messages);
        Assert.Contains("downloading " + ModelResolver.DefaultLocalModelFile, message);
        Assert.Contains("first use", message);

        var offline = await ModelResolver.ResolveAsync("hf:" + ModelResolver.DefaultLocalModel, Options("http://127.0.0.1:1"), notify: messages.Add,
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(path, offline);
        Assert.Single(messages);
    }

    [Fact]
    public async Task An_uncached_model_while_offline_explains_how_to_pass_a_local_file()
    {
        var error = await Assert.ThrowsAsync<HubException>(() =>
            ModelResolver.ResolveAsync("Qwen/Qwen2.5-0.5B-Instruct-GGUF:q8_0", Options("http://127.0.0.1:1"), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(HubErrorKind.Offline, error.Kind);
        Assert.Contains("--model", error.Message);
    }
}
