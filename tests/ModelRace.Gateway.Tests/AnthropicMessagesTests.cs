using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelRace.Catalog;
using ModelRace.Core.Endpoints;
using ModelRace.Providers;

namespace ModelRace.Gateway.Tests;

/// <summary>The official Anthropic SDK (through the Providers connector) talking to the gateway's /v1/messages.</summary>
public sealed class AnthropicMessagesTests : IAsyncLifetime
{
    private readonly GatewayHarness _gateway = new();
    private FakeUpstream _upstream = null!;

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _upstream = await _gateway.UpstreamAsync("claude clients work too");
        await _gateway.StartAsync(GatewayHarness.Endpoint("fake", _upstream), "  - { name: chat, targets: [fake/m] }\n");
    }

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    private IChatClient AnthropicClient()
    {
        var endpoint = new EndpointConfig
        {
            Name = "gateway", Kind = EndpointKind.Anthropic, BaseUrl = _gateway.BaseAddress, ApiKeyEnv = "GATEWAY_KEY",
            Models = [new EndpointModel("chat")], Price = new PriceOverride(0, 0, null, "USD"),
        };
        var config = new ModelRaceConfig { SourcePath = "test", Endpoints = [endpoint] };
        var factory = new EndpointClientFactory(config, ModelCatalog.BuiltInOnly(), new EndpointClientOptions { GetEnvironmentVariable = _ => "mr-dev" });
        return factory.CreateGuarded(endpoint, endpoint.Models[0]);
    }

    [Fact]
    public async Task A_Claude_client_gets_a_message_with_usage()
    {
        var response = await AnthropicClient().GetResponseAsync([new ChatMessage(ChatRole.System, "be brief"), new ChatMessage(ChatRole.User, "hi")], cancellationToken: Ct);
        Assert.Equal("claude clients work too", response.Text);
        Assert.Equal(10, response.Usage?.InputTokenCount);
        Assert.Equal(5, response.Usage?.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task A_Claude_client_streams_through_Anthropics_event_types()
    {
        var text = new StringBuilder();
        await foreach (var update in AnthropicClient().GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: Ct))
            text.Append(update.Text);
        Assert.Equal("claude clients work too", text.ToString());

        using var raw = await _gateway.Http.PostAsync(new Uri(_gateway.BaseAddress, "v1/messages"),
            new StringContent("""{"model":"chat","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"), Ct);
        var events = (await raw.Content.ReadAsStringAsync(Ct)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('\n')[0]["event: ".Length..]).Distinct().ToList();
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"], events);
    }

    [Fact]
    public async Task Errors_come_back_in_Anthropics_shape()
    {
        using var response = await _gateway.Http.PostAsync(new Uri(_gateway.BaseAddress, "v1/messages"),
            new StringContent("""{"model":"nope","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(404, (int)response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal("not_found_error", body.GetProperty("error").GetProperty("type").GetString());

        using var noMax = await _gateway.Http.PostAsync(new Uri(_gateway.BaseAddress, "v1/messages"),
            new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(400, (int)noMax.StatusCode);
        Assert.Contains("max_tokens", await noMax.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
