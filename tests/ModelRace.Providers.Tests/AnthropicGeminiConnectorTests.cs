using Microsoft.Extensions.AI;
using ModelRace.Core.Endpoints;
using static ModelRace.Providers.Tests.Fixtures;
using static ModelRace.Providers.Tests.TestEndpoints;

namespace ModelRace.Providers.Tests;

public sealed class AnthropicConnectorTests
{
    private static readonly PriceOverride Price = new(3m, 15m, 0.3m, "USD");

    [Fact]
    public async Task Sends_system_and_options_and_reads_usage()
    {
        await using var server = await FakeServer.StartAsync(200, AnthropicResponse);
        var client = Client(Endpoint(EndpointKind.Anthropic, server.Root, model: "claude-test", price: Price));
        var options = new ChatOptions { Temperature = 0.2f, TopP = 0.8f, MaxOutputTokens = 64, StopSequences = ["STOP"] };

        var response = await client.GetResponseAsync(Hello, options, TestContext.Current.CancellationToken);

        Assert.Equal("Bonjour!", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(6, response.Usage!.OutputTokenCount);
        // The adapter folds cache reads into the input count, as OpenAI does, and reports them as cached.
        Assert.Equal(30, response.Usage.InputTokenCount);
        Assert.Equal(10, response.Usage.CachedInputTokenCount);
        Assert.Equal((20 * 3m + 10 * 0.3m + 6 * 15m) / 1_000_000m, response.GetCost()!.Amount);
        Assert.NotNull(response.GetTiming());

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/messages", request.Path);
        // SDK 13.x sends the API key as a bearer token.
        Assert.Equal($"Bearer {Key}", request.Headers["authorization"]);
        var body = request.Json;
        Assert.Equal("claude-test", body.GetProperty("model").GetString());
        Assert.Equal(64, body.GetProperty("max_tokens").GetInt32());
        Assert.Contains("Be brief.", body.GetProperty("system").GetRawText());
        Assert.Equal("user", Assert.Single(body.GetProperty("messages").EnumerateArray()).GetProperty("role").GetString());
        // The Messages API of SDK 13.12 has no sampling parameters; the adapter leaves them out rather than fail.
        Assert.False(body.TryGetProperty("temperature", out _));
        Assert.Equal("STOP", body.GetProperty("stop_sequences")[0].GetString());
    }

    [Fact]
    public async Task Streams_events_with_usage_from_message_delta()
    {
        await using var server = await FakeServer.StartAsync((context, _) => FakeServer.Stream(context, AnthropicStream()));
        var client = Client(Endpoint(EndpointKind.Anthropic, server.Root, model: "claude-test", price: Price));

        var updates = await Collect(client.GetStreamingResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        var response = updates.ToChatResponse();

        Assert.Equal("Hello there", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(25, response.Usage!.InputTokenCount);
        Assert.Equal(15, response.Usage.OutputTokenCount);
        Assert.NotNull(updates.GetTiming()!.TimeToFirstToken);
        Assert.Equal((25 * 3m + 15 * 15m) / 1_000_000m, updates.GetCost()!.Amount);
    }

    [Fact]
    public async Task A_stream_that_stops_before_message_delta_is_an_error()
    {
        await using var server = await FakeServer.StartAsync((context, _) => FakeServer.Stream(context, AnthropicStream(complete: false)));
        var client = Client(Endpoint(EndpointKind.Anthropic, server.Root, model: "claude-test"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => Collect(client.GetStreamingResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken)));
        Assert.Equal(EndpointErrorKind.Truncated, e.Kind);
    }

    [Fact]
    public async Task A_rejected_key_names_the_variable()
    {
        await using var server = await FakeServer.StartAsync(401, AnthropicError401);
        var client = Client(Endpoint(EndpointKind.Anthropic, server.Root, model: "claude-test"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.Unauthorized, e.Kind);
        Assert.Contains(KeyVariable, e.Message);
        Assert.Contains("invalid x-api-key", e.Message);
    }

    [Fact]
    public async Task Overload_is_retried_and_the_sdk_adds_no_retries_of_its_own()
    {
        await using var server = await FakeServer.StartAsync(529, AnthropicError529);
        var client = Client(Endpoint(EndpointKind.Anthropic, server.Root, model: "claude-test"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.ServerError, e.Kind);
        Assert.Equal(1 + FastRetry.MaxRetries, server.Requests.Count);
    }

    [Fact]
    public async Task A_malformed_body_is_quoted()
    {
        await using var server = await FakeServer.StartAsync(200, "<html>Bad gateway from proxy</html>");
        var client = Client(Endpoint(EndpointKind.Anthropic, server.Root, model: "claude-test"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.MalformedResponse, e.Kind);
        Assert.Contains("Bad gateway from proxy", e.Message);
    }
}

public sealed class GeminiConnectorTests
{
    private static readonly PriceOverride Price = new(0.1m, 0.4m, 0.025m, "USD");

    [Fact]
    public async Task Sends_a_generate_content_request_and_reads_usage()
    {
        await using var server = await FakeServer.StartAsync(200, GeminiResponse);
        var client = Client(Endpoint(EndpointKind.Gemini, server.At("v1beta"), model: "gemini-test", price: Price));
        var options = new ChatOptions
        {
            Temperature = 0.5f, TopP = 0.7f, MaxOutputTokens = 20, StopSequences = ["X"], Seed = 7, ResponseFormat = ChatResponseFormat.Json,
        };
        var history = new ChatMessage[] { new(ChatRole.System, "Answer in German."), new(ChatRole.User, "Hello"), new(ChatRole.Assistant, "Hallo"), new(ChatRole.User, "And world?") };

        var response = await client.GetResponseAsync(history, options, TestContext.Current.CancellationToken);

        Assert.Equal("Hallo Welt", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(8, response.Usage!.InputTokenCount);
        Assert.Equal(3, response.Usage.OutputTokenCount);
        Assert.Equal(2, response.Usage.CachedInputTokenCount);
        Assert.Equal((6 * 0.1m + 2 * 0.025m + 3 * 0.4m) / 1_000_000m, response.GetCost()!.Amount);

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1beta/models/gemini-test:generateContent", request.Path);
        Assert.Equal(Key, request.Headers["x-goog-api-key"]);
        var body = request.Json;
        Assert.Equal("Answer in German.", body.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal(["user", "model", "user"], body.GetProperty("contents").EnumerateArray().Select(c => c.GetProperty("role").GetString()));
        var config = body.GetProperty("generationConfig");
        Assert.Equal(0.5, config.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(0.7, config.GetProperty("topP").GetDouble(), 3);
        Assert.Equal(20, config.GetProperty("maxOutputTokens").GetInt32());
        Assert.Equal("X", config.GetProperty("stopSequences")[0].GetString());
        Assert.Equal(7, config.GetProperty("seed").GetInt32());
        Assert.Equal("application/json", config.GetProperty("responseMimeType").GetString());
    }

    [Fact]
    public async Task Streams_server_sent_events_with_usage_from_the_last_chunk()
    {
        await using var server = await FakeServer.StartAsync((context, _) => FakeServer.Stream(context, GeminiStream()));
        var client = Client(Endpoint(EndpointKind.Gemini, server.At("v1beta"), model: "gemini-test", price: Price));

        var updates = await Collect(client.GetStreamingResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        var response = updates.ToChatResponse();

        Assert.Equal("Hallo Welt", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(8, response.Usage!.InputTokenCount);
        Assert.Equal(4, response.Usage.OutputTokenCount);
        Assert.NotNull(updates.GetTiming()!.TimeToFirstToken);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1beta/models/gemini-test:streamGenerateContent", request.Path);
        Assert.Equal("?alt=sse", request.Query);
    }

    [Fact]
    public async Task A_stream_without_a_finish_reason_is_an_error()
    {
        await using var server = await FakeServer.StartAsync((context, _) => FakeServer.Stream(context, GeminiStream(complete: false)));
        var client = Client(Endpoint(EndpointKind.Gemini, server.At("v1beta"), model: "gemini-test"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => Collect(client.GetStreamingResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken)));
        Assert.Equal(EndpointErrorKind.Truncated, e.Kind);
    }

    [Fact]
    public async Task A_disconnect_mid_stream_is_an_error()
    {
        await using var server = await FakeServer.StartAsync((context, _) => FakeServer.Stream(context, GeminiStream(complete: false), abortAtEnd: true));
        var client = Client(Endpoint(EndpointKind.Gemini, server.At("v1beta"), model: "gemini-test"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => Collect(client.GetStreamingResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken)));
        Assert.Equal(EndpointErrorKind.Truncated, e.Kind);
    }

    [Fact]
    public async Task An_invalid_key_is_reported_as_a_rejected_key_although_gemini_answers_400()
    {
        await using var server = await FakeServer.StartAsync(400, GeminiKeyInvalid);
        var client = Client(Endpoint(EndpointKind.Gemini, server.At("v1beta"), model: "gemini-test"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.Unauthorized, e.Kind);
        Assert.Contains(KeyVariable, e.Message);
        Assert.Contains("API key not valid", e.Message);
    }

    [Fact]
    public async Task An_unknown_model_names_it()
    {
        await using var server = await FakeServer.StartAsync(404, GeminiNotFound);
        var client = Client(Endpoint(EndpointKind.Gemini, server.At("v1beta"), model: "gemini-nope"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.ModelNotFound, e.Kind);
        Assert.Contains("'gemini-nope'", e.Message);
    }

    [Fact]
    public async Task Malformed_json_is_quoted()
    {
        await using var server = await FakeServer.StartAsync(200, "{\"candidates\": [{\"content\": truncated garbage");
        var client = Client(Endpoint(EndpointKind.Gemini, server.At("v1beta"), model: "gemini-test"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.MalformedResponse, e.Kind);
        Assert.Contains("truncated garbage", e.Message);
    }

    [Fact]
    public async Task A_429_with_retry_after_is_retried()
    {
        var calls = 0;
        await using var server = await FakeServer.StartAsync((context, _) => Interlocked.Increment(ref calls) == 1
            ? FakeServer.Reply(context, 429, """{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}""", headers: new Dictionary<string, string> { ["Retry-After"] = "0" })
            : FakeServer.Reply(context, 200, GeminiResponse));
        var client = Client(Endpoint(EndpointKind.Gemini, server.At("v1beta"), model: "gemini-test"));
        var response = await client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Hallo Welt", response.Text);
        Assert.Equal(2, server.Requests.Count);
    }
}
