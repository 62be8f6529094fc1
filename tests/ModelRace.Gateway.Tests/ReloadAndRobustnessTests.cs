using OpenAI.Chat;

namespace ModelRace.Gateway.Tests;

public sealed class ReloadAndRobustnessTests : IAsyncLifetime
{
    private readonly GatewayHarness _gateway = new();
    private FakeUpstream _first = null!, _second = null!;
    private string _endpoints = "";

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _first = await _gateway.UpstreamAsync("answer from first");
        _second = await _gateway.UpstreamAsync("answer from second");
        _endpoints = GatewayHarness.Endpoint("first", _first) + GatewayHarness.Endpoint("second", _second);
        await _gateway.StartAsync(_endpoints, "  - { name: chat, targets: [first/m] }\n");
    }

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    private async Task<string> AskAsync() => (await _gateway.Client("chat").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct)).Value.Content[0].Text;

    private async Task<(int Generation, string? Error)> RewriteAndWaitAsync(string yaml)
    {
        var reloaded = new TaskCompletionSource<(int, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReload(Config.GatewaySnapshot s, string? error) => reloaded.TrySetResult((s.Generation, error));
        _gateway.Server!.Runtime.Watcher.Reloaded += OnReload;
        try
        {
            await File.WriteAllTextAsync(_gateway.ConfigPath, yaml, Ct);
            return await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        }
        finally
        {
            _gateway.Server.Runtime.Watcher.Reloaded -= OnReload;
        }
    }

    [Fact]
    public async Task Editing_the_config_switches_the_route_without_a_restart()
    {
        Assert.Equal("answer from first", await AskAsync());
        var (generation, error) = await RewriteAndWaitAsync($"endpoints:\n{_endpoints}\nroutes:\n  - {{ name: chat, targets: [second/m] }}\n");
        Assert.Null(error);
        Assert.Equal(2, generation);
        Assert.Equal("answer from second", await AskAsync());
    }

    [Fact]
    public async Task An_invalid_config_is_refused_and_the_old_one_stays_in_force()
    {
        var (generation, error) = await RewriteAndWaitAsync($"endpoints:\n{_endpoints}\nroutes:\n  - {{ name: chat, targets: [nowhere/m] }}\n");
        Assert.Equal(1, generation);
        Assert.Contains("nowhere", error, StringComparison.Ordinal);
        Assert.Equal("answer from first", await AskAsync());
        var health = await _gateway.Http.GetStringAsync(new Uri(_gateway.BaseAddress, "health"), Ct);
        Assert.Contains("nowhere", health, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_without_a_price_is_refused_rather_than_costed_at_zero()
    {
        var unpriced = _endpoints.Replace("price: { input: 1, output: 2 }", "", StringComparison.Ordinal);
        var (_, error) = await RewriteAndWaitAsync($"endpoints:\n{unpriced}\nroutes:\n  - {{ name: chat, targets: [first/m] }}\n");
        Assert.Contains("has no price", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_cancels_the_upstream_call()
    {
        _first.Behaviour = FakeBehaviour.StallAfterFirstChunk;
        _first.SlowDelay = TimeSpan.FromSeconds(30);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var stream = _gateway.Client("chat").CompleteChatStreamingAsync([new UserChatMessage("hi")], cancellationToken: cancel.Token);
        await foreach (var update in stream)
        {
            if (update.ContentUpdate.Count > 0)
            {
                await cancel.CancelAsync();
                break;
            }
        }
        await _first.StreamCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }
}
