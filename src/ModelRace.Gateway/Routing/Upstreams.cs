using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using ModelRace.Catalog;
using ModelRace.Core.Endpoints;
using ModelRace.Gateway.Config;
using ModelRace.Providers;
using ModelRace.Providers.Middleware;

namespace ModelRace.Gateway.Routing;

/// <summary>A real model the gateway can call, with what routing and policy need to know about it.</summary>
public sealed record Upstream(string Endpoint, string Model, DeploymentClass Deployment, ModelPrice Price, IChatClient Client)
{
    public string Id => $"{Endpoint}/{Model}";

    /// <summary>Upper bound of the cost of a call, for budget reservations before the call.</summary>
    public decimal EstimateCost(long inputTokens, long outputTokens) =>
        ((Price.Input ?? 0m) * inputTokens + (Price.Output ?? 0m) * outputTokens) / 1_000_000m;
}

/// <summary>Endpoint name + model → a ready client. One registry per loaded config, so a reload gets fresh clients.</summary>
public interface IUpstreamRegistry
{
    /// <summary>The upstream, or null when the config has no such endpoint/model or it has no price.</summary>
    Upstream? Find(string endpoint, string model);
    IEnumerable<Upstream> All();
}

/// <summary>
/// Builds upstreams through the Providers factory (connector, guard, limits, cost) without its cache and retries:
/// the gateway must never answer from a cache, and retries are the route's own budget.
/// </summary>
public sealed class FactoryUpstreamRegistry(GatewayConfig config, ModelCatalog catalog, EndpointClientOptions? options = null) : IUpstreamRegistry
{
    private readonly EndpointClientFactory _factory = new(config.Endpoints, catalog, (options ?? new EndpointClientOptions()) with { CacheDirectory = null });
    private readonly ConcurrentDictionary<string, Upstream?> _cache = new(StringComparer.OrdinalIgnoreCase);

    public Upstream? Find(string endpoint, string model) =>
        _cache.GetOrAdd($"{endpoint}/{model}", _ => Build(endpoint, model));

    public IEnumerable<Upstream> All() =>
        config.Endpoints.Endpoints.SelectMany(e => e.Models.Select(m => Find(e.Name, m.Name))).OfType<Upstream>();

    private Upstream? Build(string endpointName, string modelName)
    {
        if (config.Endpoints.FindEndpoint(endpointName) is not { } endpoint || endpoint.FindModel(modelName) is not { } model) return null;
        var price = _factory.PriceFor(endpoint, model);
        if (price.UnknownReason is not null) return null;
        IChatClient client;
        try
        {
            client = _factory.Create(endpoint, model, useCache: false, retry: RetrySettings.None);
        }
        catch (EndpointException e)
        {
            // E.g. its key variable is unset: the target stays in its routes and fails each call with this message,
            // so that fallback moves on and the client's error says what to fix.
            client = new UnusableChatClient(e);
        }
        return new Upstream(endpoint.Name, model.Name, endpoint.Deployment, price, client);
    }

    private sealed class UnusableChatClient(EndpointException problem) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromException<ChatResponse>(problem);

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            if (problem is not null) throw problem;
            yield break;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
