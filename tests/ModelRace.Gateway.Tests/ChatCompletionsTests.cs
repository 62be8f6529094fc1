using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace ModelRace.Gateway.Tests;

public sealed class ChatCompletionsTests : IAsyncLifetime
{
    private readonly GatewayHarness _gateway = new();
    private FakeUpstream _upstream = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await _gateway.UpstreamAsync("hello from the fake");
        await _gateway.StartAsync(GatewayHarness.Endpoint("fake", _upstream), """
              - name: chat
                strategy: fallback
                targets: [fake/m]
            """, gatewaySection: "gateway:\n  max_body_bytes: 16384\n");
    }

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_non_streaming_reply_reaches_the_OpenAI_SDK_with_id_usage_and_finish_reason()
    {
        ChatCompletion completion = await _gateway.Client("chat").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken);

        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal("hello from the fake", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(10, completion.Usage.InputTokenCount);
        Assert.Equal(5, completion.Usage.OutputTokenCount);
        Assert.Equal(15, completion.Usage.TotalTokenCount);
        Assert.Equal("chat", completion.Model);
    }

    [Fact]
    public async Task The_raw_JSON_has_OpenAIs_fields()
    {
        using var response = await Post("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;

        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        Assert.True(json.GetProperty("created").GetInt64() > 1_700_000_000);
        var choice = json.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal("fake/m", response.Headers.GetValues("X-ModelRace-Endpoint").Single());
    }

    [Fact]
    public async Task A_streamed_reply_arrives_in_pieces_with_usage_in_the_last_chunk()
    {
        var options = new ChatCompletionOptions();
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in _gateway.Client("chat").CompleteChatStreamingAsync([new UserChatMessage("hi")], options, TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            usage = update.Usage ?? usage;
            finish = update.FinishReason ?? finish;
            Assert.StartsWith("chatcmpl-", update.CompletionId, StringComparison.Ordinal);
        }
        Assert.Equal("hello from the fake", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(15, usage.TotalTokenCount);
    }

    [Fact]
    public async Task The_raw_stream_is_SSE_ending_in_DONE_and_usage_only_when_asked()
    {
        using var withUsage = await Post("""{"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");
        var body = await withUsage.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal("text/event-stream", withUsage.Content.Headers.ContentType!.MediaType);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        var usageChunk = JsonDocument.Parse(events[^2]["data: ".Length..]).RootElement;
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(15, usageChunk.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        var first = JsonDocument.Parse(events[0]["data: ".Length..]).RootElement;
        Assert.Equal("chat.completion.chunk", first.GetProperty("object").GetString());
        Assert.Equal("assistant", first.GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());

        using var withoutUsage = await Post("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var plain = await withoutUsage.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("\"usage\"", plain, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", plain, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_JSON_is_a_400_in_OpenAIs_error_shape()
    {
        using var response = await Post("{\"model\": \"chat\", \"messages\": [");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains("not valid JSON", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, _upstream.Requests);
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_that_the_SDK_reports()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => _gateway.Client("no-such-route").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(404, e.Status);
        Assert.Contains("no-such-route", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_body_is_a_413()
    {
        var huge = new string('x', 40_000);
        using var response = await Post($$"""{"model":"chat","messages":[{"role":"user","content":"{{huge}}"}]}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, _upstream.Requests);
    }

    [Fact]
    public async Task A_direct_endpoint_model_name_works_and_models_lists_routes_and_endpoints()
    {
        ChatCompletion completion = await _gateway.Client("fake/m").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("hello from the fake", completion.Content[0].Text);

        var models = JsonDocument.Parse(await _gateway.Http.GetStringAsync(new Uri(_gateway.BaseAddress, "v1/models"), TestContext.Current.CancellationToken)).RootElement;
        var ids = models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Equal(["chat", "fake/m"], ids);
    }

    [Fact]
    public async Task Metrics_count_requests_tokens_and_latency_per_route_and_endpoint()
    {
        await _gateway.Client("chat").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken);
        var metrics = await _gateway.Http.GetStringAsync(new Uri(_gateway.BaseAddress, "metrics"), TestContext.Current.CancellationToken);
        Assert.Contains("modelrace_gateway_requests_total{route=\"chat\",endpoint=\"fake\",status=\"200\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("modelrace_gateway_tokens_total{route=\"chat\",endpoint=\"fake\",direction=\"output\"} 5", metrics, StringComparison.Ordinal);
        Assert.Contains("modelrace_gateway_request_duration_seconds_count{route=\"chat\",endpoint=\"fake\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("modelrace_gateway_cost_total{route=\"chat\",endpoint=\"fake\"} 0.00002", metrics, StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> Post(string json) =>
        _gateway.Http.PostAsync(new Uri(_gateway.BaseAddress, "v1/chat/completions"), new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
}
