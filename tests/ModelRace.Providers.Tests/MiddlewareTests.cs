using Microsoft.Extensions.AI;
using ModelRace.Catalog;
using ModelRace.Core.Endpoints;
using ModelRace.Providers.Connectors;
using ModelRace.Providers.Middleware;
using static ModelRace.Providers.Tests.TestEndpoints;

namespace ModelRace.Providers.Tests;

public sealed class RetryTests
{
    private static EndpointException Transient(TimeSpan? retryAfter = null) =>
        new(EndpointErrorKind.RateLimited, "fake", "slow down", retryAfter: retryAfter);

    [Fact]
    public async Task Transient_failures_are_retried_until_success()
    {
        var inner = new ScriptedChatClient(call => call <= 2 ? throw Transient() : ScriptedChatClient.Reply("ok"));
        var client = new RetryChatClient(inner, FastRetry with { MaxRetries = 3 });
        var response = await client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("ok", response.Text);
        Assert.Equal(3, inner.Calls);
    }

    [Fact]
    public async Task Retries_stop_at_the_limit()
    {
        var inner = new ScriptedChatClient(_ => throw Transient());
        var client = new RetryChatClient(inner, FastRetry with { MaxRetries = 3 });
        await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(4, inner.Calls);
    }

    [Theory]
    [InlineData(EndpointErrorKind.Unauthorized)]
    [InlineData(EndpointErrorKind.ModelNotFound)]
    [InlineData(EndpointErrorKind.BadRequest)]
    [InlineData(EndpointErrorKind.MalformedResponse)]
    [InlineData(EndpointErrorKind.Truncated)]
    public async Task Permanent_failures_are_not_retried(EndpointErrorKind kind)
    {
        var inner = new ScriptedChatClient(_ => throw new EndpointException(kind, "fake", "no"));
        var client = new RetryChatClient(inner, FastRetry);
        await Assert.ThrowsAsync<EndpointException>(() => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public void Retry_after_sets_the_delay_and_is_capped()
    {
        var settings = new RetrySettings { MaxDelay = TimeSpan.FromSeconds(30) };
        Assert.Equal(TimeSpan.FromSeconds(7), RetryChatClient.DelayFor(Transient(TimeSpan.FromSeconds(7)), settings));
        Assert.Equal(TimeSpan.FromSeconds(30), RetryChatClient.DelayFor(Transient(TimeSpan.FromMinutes(5)), settings));
        Assert.Null(RetryChatClient.DelayFor(Transient(), settings));
    }

    [Fact]
    public async Task A_stream_is_retried_before_its_first_chunk()
    {
        var inner = new ScriptedChatClient(call => call == 1 ? throw Transient() : ScriptedChatClient.Reply("streamed"));
        var client = new RetryChatClient(inner, FastRetry);
        var updates = await Collect(client.GetStreamingResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("streamed", updates.ToChatResponse().Text);
        Assert.Equal(2, inner.Calls);
    }
}

public sealed class CostTests
{
    private static UsageDetails Usage(long input, long output, long? cached = null) =>
        new() { InputTokenCount = input, OutputTokenCount = output, CachedInputTokenCount = cached };

    [Fact]
    public void Cost_is_uncached_input_plus_cached_input_plus_output_per_million()
    {
        var price = new ModelPrice(2.5m, 10m, 1.25m, "USD", null);
        Assert.Equal((600 * 2.5m + 400 * 1.25m + 200 * 10m) / 1_000_000m, price.CostOf(Usage(1000, 200, 400)).Amount);
        Assert.Equal((1_000_000 * 2.5m) / 1_000_000m, price.CostOf(Usage(1_000_000, 0)).Amount);
    }

    [Fact]
    public void Cached_tokens_without_a_cached_price_are_charged_at_the_input_price()
    {
        var price = new ModelPrice(1m, 2m, null, "EUR", null);
        var cost = price.CostOf(Usage(1000, 500, 300));
        Assert.Equal((1000 * 1m + 500 * 2m) / 1_000_000m, cost.Amount);
        Assert.Equal("EUR", cost.Currency);
    }

    [Fact]
    public void A_model_without_a_price_reports_an_unknown_cost_never_zero()
    {
        var endpoint = Endpoint(EndpointKind.OpenAICompatible, new Uri("http://127.0.0.1:1/v1/"), model: "mystery-model");
        var price = ModelPrice.Resolve(endpoint, endpoint.Models[0], card: null);
        var cost = price.CostOf(Usage(100, 100));
        Assert.False(cost.IsKnown);
        Assert.Null(cost.Amount);
        Assert.Contains("mystery-model", cost.UnknownReason);
    }

    [Fact]
    public void An_explicit_config_price_wins_and_zero_is_a_known_cost()
    {
        var endpoint = Endpoint(EndpointKind.OpenAICompatible, new Uri("http://127.0.0.1:1/v1/"), price: new PriceOverride(0, 0, null, "USD"));
        var cost = ModelPrice.Resolve(endpoint, endpoint.Models[0], ModelCatalog.BuiltInOnly().Find("gpt-4o")).CostOf(Usage(100, 100));
        Assert.True(cost.IsKnown);
        Assert.Equal(0m, cost.Amount);
    }

    [Fact]
    public void The_catalog_card_supplies_the_price()
    {
        var card = ModelCatalog.BuiltInOnly().Find("gpt-4o")!;
        var endpoint = Endpoint(EndpointKind.OpenAICompatible, new Uri("http://127.0.0.1:1/v1/"), model: "gpt-4o", card: "gpt-4o");
        var price = ModelPrice.Resolve(endpoint, endpoint.Models[0], card);
        Assert.Equal(card.Prices!.InputPerMillion, price.Input);
        Assert.Equal(card.Prices.OutputPerMillion, price.Output);
    }

    [Fact]
    public void Missing_usage_makes_the_cost_unknown()
    {
        var cost = new ModelPrice(1m, 1m, null, "USD", null).CostOf(null);
        Assert.False(cost.IsKnown);
        Assert.Contains("usage", cost.UnknownReason);
    }
}

public sealed class CacheTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("modelrace-cache-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private IChatClient Stack(ScriptedChatClient inner) =>
        new CostChatClient(new CacheChatClient(inner, new ResponseCache(_directory), "fake", "m"), new ModelPrice(1m, 2m, null, "USD", null));

    [Fact]
    public async Task A_repeated_request_is_served_from_disk_marked_cached_and_free()
    {
        var inner = new ScriptedChatClient(_ => ScriptedChatClient.Reply("fresh", 1000, 1000));
        var first = await Stack(inner).GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken);
        // A new cache object on the same directory: the entry must have been persisted.
        var second = await Stack(inner).GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1, inner.Calls);
        Assert.False(first.IsFromCache());
        Assert.Equal(0.003m, first.GetCost()!.Amount);
        Assert.True(second.IsFromCache());
        Assert.Equal("fresh", second.Text);
        Assert.Equal(0m, second.GetCost()!.Amount);
        Assert.Equal(1000, second.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Different_options_or_messages_miss()
    {
        var inner = new ScriptedChatClient(call => ScriptedChatClient.Reply($"reply {call}"));
        var client = Stack(inner);
        var ct = TestContext.Current.CancellationToken;
        await client.GetResponseAsync(Hello, new ChatOptions { Temperature = 0 }, ct);
        await client.GetResponseAsync(Hello, new ChatOptions { Temperature = 1 }, ct);
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Something else")], new ChatOptions { Temperature = 0 }, ct);
        var again = await client.GetResponseAsync(Hello, new ChatOptions { Temperature = 0 }, ct);
        Assert.Equal(3, inner.Calls);
        Assert.Equal("reply 1", again.Text);
    }

    [Fact]
    public void The_key_depends_on_endpoint_and_model()
    {
        var a = ResponseCache.Key("e1", "m", Hello, null);
        Assert.NotEqual(a, ResponseCache.Key("e2", "m", Hello, null));
        Assert.NotEqual(a, ResponseCache.Key("e1", "m2", Hello, null));
        Assert.Equal(a, ResponseCache.Key("e1", "m", Hello.ToList(), null));
    }

    [Fact]
    public async Task A_stream_is_replayed_from_the_cache()
    {
        var inner = new ScriptedChatClient(_ => ScriptedChatClient.Reply("streamed once"));
        var ct = TestContext.Current.CancellationToken;
        var first = await Collect(Stack(inner).GetStreamingResponseAsync(Hello, cancellationToken: ct));
        var second = await Collect(Stack(inner).GetStreamingResponseAsync(Hello, cancellationToken: ct));
        Assert.Equal(1, inner.Calls);
        Assert.Equal("streamed once", second.ToChatResponse().Text);
        Assert.Contains(second, u => u.IsFromCache());
        Assert.Equal(0m, second.GetCost()!.Amount);
        Assert.True(first.GetCost()!.Amount > 0);
    }

    [Fact]
    public async Task A_reply_without_a_finish_reason_is_not_stored()
    {
        var inner = new ScriptedChatClient(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant, "partial")));
        await Stack(inner).GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken);
        await Stack(inner).GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, inner.Calls);
    }
}

public sealed class LimitTests
{
    [Fact]
    public async Task Max_concurrency_holds_back_extra_requests()
    {
        var inner = new ScriptedChatClient(_ => ScriptedChatClient.Reply("ok")) { Hold = TimeSpan.FromMilliseconds(50) };
        using var gate = new LimitGate(new EndpointLimits { MaxConcurrency = 2 });
        var client = new LimitChatClient(inner, gate);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken)));
        Assert.Equal(8, inner.Calls);
        Assert.Equal(2, inner.MaxInFlight);
    }

    [Fact]
    public async Task Requests_per_minute_make_later_requests_wait_for_the_window()
    {
        var inner = new ScriptedChatClient(_ => ScriptedChatClient.Reply("ok"));
        using var gate = new LimitGate(new EndpointLimits { RequestsPerMinute = 2 }, window: TimeSpan.FromMilliseconds(600));
        var client = new LimitChatClient(inner, gate);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken)));
        Assert.Equal(3, inner.Calls);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"the third request went out after {clock.Elapsed}, inside the window");
    }

    [Fact]
    public void Token_estimate_counts_prompt_characters_and_the_output_budget()
    {
        var messages = new[] { new ChatMessage(ChatRole.User, new string('x', 400)) };
        Assert.Equal(101 + 50, LimitGate.EstimateTokens(messages, new ChatOptions { MaxOutputTokens = 50 }));
    }
}

public sealed class StackTests
{
    [Fact]
    public void The_factory_layers_retry_limits_cost_cache_guard_connector_outermost_first()
    {
        var cache = Directory.CreateTempSubdirectory("modelrace-cache-").FullName;
        try
        {
            var endpoint = Endpoint(EndpointKind.OpenAICompatible, new Uri("http://127.0.0.1:1/v1/"));
            var client = Factory(endpoint, cacheDirectory: cache).Create(endpoint, endpoint.Models[0]);
            var layers = ChatStack.Layers(client).Select(l => l.GetType()).ToList();
            Assert.Equal([typeof(RetryChatClient), typeof(LimitChatClient), typeof(CostChatClient), typeof(CacheChatClient), typeof(GuardChatClient)], layers.Take(5));
            Assert.Equal(6, layers.Count);

            var uncached = Factory(endpoint, cacheDirectory: cache).Create(endpoint, endpoint.Models[0], useCache: false);
            Assert.DoesNotContain(typeof(CacheChatClient), ChatStack.Layers(uncached).Select(l => l.GetType()));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task A_registered_local_factory_serves_local_endpoints_through_the_same_stack()
    {
        var endpoint = new EndpointConfig
        {
            Name = "local", Kind = EndpointKind.Local, Deployment = DeploymentClass.Private,
            Models = [new EndpointModel("tiny", Path: "/models/tiny.gguf")], Price = new PriceOverride(0, 0, null, "USD"),
        };
        EndpointModel? asked = null;
        var config = new ModelRaceConfig { SourcePath = "test.yaml", Endpoints = [endpoint], Cache = new CacheSettings(false) };
        var factory = new EndpointClientFactory(config, ModelCatalog.BuiltInOnly(), new EndpointClientOptions
        {
            LocalFactory = (_, model) => { asked = model; return new ScriptedChatClient(_ => ScriptedChatClient.Reply("local says hi")); },
        });
        var response = await factory.Create("local").GetResponseAsync(Hello, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("local says hi", response.Text);
        Assert.Equal("/models/tiny.gguf", asked!.Path);
        Assert.Equal(0m, response.GetCost()!.Amount);
    }
}

public sealed class CardLookupTests
{
    [Fact]
    public void A_model_without_card_is_found_through_the_catalog_deployments_of_its_preset()
    {
        var endpoint = new EndpointConfig
        {
            Name = "ds", Kind = EndpointKind.OpenAICompatible, Preset = "deepseek", BaseUrl = new Uri("https://api.deepseek.com/v1"),
            ApiKeyEnv = "DEEPSEEK_API_KEY", Models = [new EndpointModel("deepseek-chat")],
        };
        var factory = Factory(endpoint);
        var card = factory.CardFor(endpoint, endpoint.Models[0]);
        Assert.Equal("deepseek-v3", card?.Id);
        Assert.Null(factory.PriceFor(endpoint, endpoint.Models[0]).UnknownReason);
    }

    [Fact]
    public void A_card_named_but_missing_from_the_catalog_makes_the_price_unknown_and_says_so()
    {
        var endpoint = Endpoint(EndpointKind.OpenAICompatible, new Uri("http://127.0.0.1:1/v1/"), model: "x", card: "no-such-card");
        var price = Factory(endpoint).PriceFor(endpoint, endpoint.Models[0]);
        Assert.Contains("no-such-card", price.UnknownReason);
    }
}
