using Microsoft.Extensions.AI;
using ModelRace.Catalog;
using ModelRace.Core.Endpoints;
using ModelRace.Providers.Middleware;

namespace ModelRace.Providers.Tests;

/// <summary>Endpoints pointed at fake servers, with short timeouts and backoffs so tests stay fast.</summary>
public static class TestEndpoints
{
    public const string KeyVariable = "TEST_API_KEY";
    public const string Key = "test-key-123";
    public static readonly RetrySettings FastRetry = new() { MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromSeconds(2) };

    public static EndpointConfig Endpoint(EndpointKind kind, Uri url, string model = "gpt-4o-mini", TimeSpan? timeout = null,
        PriceOverride? price = null, string? keyVariable = KeyVariable, EndpointLimits? limits = null, string? card = null) => new()
    {
        Name = "fake", Kind = kind, BaseUrl = url, ApiKeyEnv = keyVariable, Deployment = DeploymentClass.Private,
        Models = [new EndpointModel(model, card)],
        Limits = limits ?? new EndpointLimits { Timeout = timeout ?? TimeSpan.FromSeconds(5) },
        Price = price,
    };

    public static EndpointClientFactory Factory(EndpointConfig endpoint, Dictionary<string, string>? env = null, RetrySettings? retry = null,
        string? cacheDirectory = null, ModelCatalog? catalog = null)
    {
        env ??= new Dictionary<string, string> { [KeyVariable] = Key };
        var config = new ModelRaceConfig { SourcePath = "test.yaml", Endpoints = [endpoint], Cache = new CacheSettings(cacheDirectory is not null, cacheDirectory) };
        return new EndpointClientFactory(config, catalog ?? ModelCatalog.BuiltInOnly(), new EndpointClientOptions
        {
            GetEnvironmentVariable = env.GetValueOrDefault,
            Retry = retry ?? FastRetry,
            CacheDirectory = cacheDirectory,
        });
    }

    public static IChatClient Client(EndpointConfig endpoint, RetrySettings? retry = null, string? cacheDirectory = null, Dictionary<string, string>? env = null) =>
        Factory(endpoint, env, retry, cacheDirectory).Create(endpoint, endpoint.Models[0], useCache: cacheDirectory is not null);

    public static readonly ChatMessage[] Hello = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Say hello")];

    public static async Task<List<ChatResponseUpdate>> Collect(IAsyncEnumerable<ChatResponseUpdate> stream)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in stream) updates.Add(update);
        return updates;
    }
}
