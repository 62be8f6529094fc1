using Microsoft.Extensions.AI;
using ModelRace.Core.Endpoints;
using static ModelRace.Providers.Tests.Fixtures;
using static ModelRace.Providers.Tests.TestEndpoints;

namespace ModelRace.Providers.Tests;

public sealed class OpenAIConnectorTests
{
    private static readonly PriceOverride Price = new(2.5m, 10m, 1.25m, "USD");

    [Fact]
    public async Task Sends_every_option_and_reads_usage_finish_reason_and_timing()
    {
        await using var server = await FakeServer.StartAsync(200, OpenAIResponse);
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, server.At("v1/"), price: Price));
        var options = new ChatOptions
        {
            Temperature = 0.3f, TopP = 0.9f, MaxOutputTokens = 50, StopSequences = ["END"], Seed = 42,
            ResponseFormat = ChatResponseFormat.Json,
        };
        var history = new ChatMessage[] { new(ChatRole.System, "Be brief."), new(ChatRole.User, "Capital of France?"), new(ChatRole.Assistant, "Which France?"), new(ChatRole.User, "The country.") };

        var response = await client.GetResponseAsync(history, options, TestContext.Current.CancellationToken);

        Assert.Equal("Paris is the capital.", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(1000, response.Usage!.InputTokenCount);
        Assert.Equal(200, response.Usage.OutputTokenCount);
        Assert.Equal(400, response.Usage.CachedInputTokenCount);
        Assert.NotNull(response.GetTiming());
        // (600 × 2.5 + 400 × 1.25 + 200 × 10) / 1M
        Assert.Equal(0.004m, response.GetCost()!.Amount);

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal($"Bearer {Key}", request.Headers["authorization"]);
        var body = request.Json;
        Assert.Equal("gpt-4o-mini", body.GetProperty("model").GetString());
        Assert.Equal(["system", "user", "assistant", "user"], body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(0.3, body.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(0.9, body.GetProperty("top_p").GetDouble(), 3);
        Assert.True(body.TryGetProperty("max_completion_tokens", out var max) || body.TryGetProperty("max_tokens", out max));
        Assert.Equal(50, max.GetInt32());
        Assert.Equal("END", body.GetProperty("stop")[0].GetString());
        Assert.Equal(42, body.GetProperty("seed").GetInt64());
        Assert.Equal("json_object", body.GetProperty("response_format").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Streams_chunks_and_takes_usage_from_the_final_chunk()
    {
        await using var server = await FakeServer.StartAsync((context, _) => FakeServer.Stream(context, OpenAIStream()));
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, server.At("v1/"), price: Price));

        var updates = await Collect(client.GetStreamingResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        var response = updates.ToChatResponse();

        Assert.Equal("Hello world", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(12, response.Usage!.InputTokenCount);
        Assert.Equal(3, response.Usage.OutputTokenCount);
        Assert.Equal(4, response.Usage.CachedInputTokenCount);
        var timing = updates.GetTiming()!;
        Assert.NotNull(timing.TimeToFirstToken);
        Assert.True(timing.TimeToFirstToken <= timing.Total);
        Assert.Equal((8 * 2.5m + 4 * 1.25m + 3 * 10m) / 1_000_000m, updates.GetCost()!.Amount);

        var body = Assert.Single(server.Requests).Json;
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task A_rejected_key_names_the_variable()
    {
        await using var server = await FakeServer.StartAsync(401, OpenAIError401);
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, server.At("v1/")));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.Unauthorized, e.Kind);
        Assert.Contains(KeyVariable, e.Message);
        Assert.Contains("Incorrect API key", e.Message);
        Assert.Single(server.Requests); // never retried
    }

    [Fact]
    public async Task A_missing_key_variable_is_named_before_any_request()
    {
        await using var server = await FakeServer.StartAsync(200, OpenAIResponse);
        var endpoint = Endpoint(EndpointKind.OpenAICompatible, server.At("v1/"));
        var e = Assert.Throws<EndpointException>(() => Factory(endpoint, env: []).Create(endpoint, endpoint.Models[0]));
        Assert.Equal(EndpointErrorKind.MissingKey, e.Kind);
        Assert.Contains(KeyVariable, e.Message);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task An_unknown_model_names_the_model_and_the_endpoint()
    {
        await using var server = await FakeServer.StartAsync(404, OpenAIError404);
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, server.At("v1/"), model: "gpt-9"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.ModelNotFound, e.Kind);
        Assert.Contains("'gpt-9'", e.Message);
        Assert.Contains("'fake'", e.Message);
    }

    [Fact]
    public async Task A_429_is_retried_after_the_time_the_server_asks_for()
    {
        var calls = 0;
        await using var server = await FakeServer.StartAsync((context, _) => Interlocked.Increment(ref calls) == 1
            ? FakeServer.Reply(context, 429, OpenAIError429, headers: new Dictionary<string, string> { ["Retry-After"] = "1" })
            : FakeServer.Reply(context, 200, OpenAIResponse));
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, server.At("v1/")));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var response = await client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("Paris is the capital.", response.Text);
        Assert.Equal(2, server.Requests.Count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {clock.Elapsed}, before the 1 s Retry-After");
    }

    [Fact]
    public async Task Server_errors_are_retried_then_reported()
    {
        await using var server = await FakeServer.StartAsync(500, OpenAIError500);
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, server.At("v1/")));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.ServerError, e.Kind);
        Assert.Equal(1 + FastRetry.MaxRetries, server.Requests.Count);
        Assert.Contains("HTTP 500", e.Message);
    }

    [Fact]
    public async Task A_server_slower_than_the_timeout_is_a_timeout_naming_the_url()
    {
        await using var server = await FakeServer.StartAsync(async (context, _) =>
        {
            try { await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted); }
            catch (OperationCanceledException) { }
        });
        var endpoint = Endpoint(EndpointKind.OpenAICompatible, server.At("v1/"), timeout: TimeSpan.FromMilliseconds(200));
        var client = Client(endpoint, retry: Middleware.RetrySettings.None);
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.Timeout, e.Kind);
        Assert.Contains(server.At("v1/").ToString(), e.Message);
        Assert.Contains("200 ms", e.Message);
    }

    [Fact]
    public async Task A_stream_that_stalls_mid_reply_times_out()
    {
        await using var server = await FakeServer.StartAsync(async (context, _) =>
        {
            await FakeServer.Stream(context, [OpenAIChunk(null, role: "assistant"), OpenAIChunk("Hel")]);
            try { await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted); }
            catch (OperationCanceledException) { }
        });
        // Generous enough that a loaded CI machine still delivers the first chunk in time; the stall is what must time out.
        var endpoint = Endpoint(EndpointKind.OpenAICompatible, server.At("v1/"), timeout: TimeSpan.FromSeconds(1));
        var client = Client(endpoint);
        var e = await Assert.ThrowsAsync<EndpointException>(() => Collect(client.GetStreamingResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken)));
        Assert.Equal(EndpointErrorKind.Timeout, e.Kind);
        Assert.Single(server.Requests); // output was already seen, so no retry
    }

    [Fact]
    public async Task A_malformed_body_is_quoted()
    {
        await using var server = await FakeServer.StartAsync(200, "{\"id\": \"chatcmpl-x\", \"choices\": [ oops this is not json");
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, server.At("v1/")));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.MalformedResponse, e.Kind);
        Assert.Contains("oops this is not json", e.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_stream_without_a_finish_reason_is_an_error_not_a_short_reply()
    {
        await using var server = await FakeServer.StartAsync((context, _) =>
            FakeServer.Stream(context, [OpenAIChunk(null, role: "assistant"), OpenAIChunk("Hel"), OpenAIChunk("lo")]));
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, server.At("v1/")));
        var e = await Assert.ThrowsAsync<EndpointException>(() => Collect(client.GetStreamingResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken)));
        Assert.Equal(EndpointErrorKind.Truncated, e.Kind);
        Assert.Contains("ended before the model finished", e.Message);
    }

    [Fact]
    public async Task A_connection_dropped_mid_stream_is_an_error()
    {
        await using var server = await FakeServer.StartAsync((context, _) =>
            FakeServer.Stream(context, [OpenAIChunk(null, role: "assistant"), OpenAIChunk("Hel")], abortAtEnd: true));
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, server.At("v1/")));
        var e = await Assert.ThrowsAsync<EndpointException>(() => Collect(client.GetStreamingResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken)));
        Assert.Equal(EndpointErrorKind.Truncated, e.Kind);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_refused_connection_names_the_url()
    {
        var url = ClosedPort.Url();
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, url), retry: Middleware.RetrySettings.None);
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(EndpointErrorKind.Unreachable, e.Kind);
        Assert.Contains($"127.0.0.1:{url.Port}", e.Message);
    }

    [Fact]
    public async Task An_endpoint_without_a_key_variable_sends_no_real_key()
    {
        await using var server = await FakeServer.StartAsync(200, OpenAIResponse);
        var client = Client(Endpoint(EndpointKind.OpenAICompatible, server.At("v1/"), keyVariable: null), env: []);
        var response = await client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Paris is the capital.", response.Text);
        Assert.DoesNotContain(Key, Assert.Single(server.Requests).Headers.GetValueOrDefault("authorization") ?? "");
    }
}
