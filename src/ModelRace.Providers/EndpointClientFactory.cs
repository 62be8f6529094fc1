using Microsoft.Extensions.AI;
using ModelRace.Catalog;
using ModelRace.Core.Catalog;
using ModelRace.Core.Endpoints;
using ModelRace.Providers.Config;
using ModelRace.Providers.Connectors;
using ModelRace.Providers.Middleware;

namespace ModelRace.Providers;

/// <summary>Builds a raw connector for one endpoint+model: (context, key or null, HttpClient) → IChatClient.</summary>
public delegate IChatClient ConnectorFactory(EndpointContext context, string? apiKey, HttpClient http);

/// <summary>Builds a client for a local (in-process) model; registered by the Local runtime.</summary>
public delegate IChatClient LocalClientFactory(EndpointConfig endpoint, EndpointModel model);

public sealed record EndpointClientOptions
{
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;
    public RetrySettings Retry { get; init; } = new();
    /// <summary>Null turns the response cache off.</summary>
    public string? CacheDirectory { get; init; }
    /// <summary>The transport under every connector; tests and proxies may replace it.</summary>
    public Func<HttpMessageHandler> CreateHttpHandler { get; init; } = () => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
    /// <summary>Overrides the statically registered local factory.</summary>
    public LocalClientFactory? LocalFactory { get; init; }
    /// <summary>The window of rpm/tpm limits; one minute except in tests.</summary>
    public TimeSpan RateWindow { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The one place that turns config + catalog into a ready IChatClient for an endpoint+model, layered outermost first:
/// retry → limits → cost → cache → guard (timeout, timing, errors) → connector.
/// </summary>
public sealed class EndpointClientFactory(ModelRaceConfig config, ModelCatalog catalog, EndpointClientOptions? options = null)
{
    private static LocalClientFactory? _registeredLocal;
    private readonly EndpointClientOptions _options = options ?? new EndpointClientOptions();
    // Limits are per endpoint, so every client of one endpoint shares its limiter.
    private readonly Dictionary<string, LimitGate> _gates = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    public ModelRaceConfig Config { get; } = config;

    /// <summary>The Local runtime calls this once at start-up so that `kind: local` endpoints work.</summary>
    public static void RegisterLocal(LocalClientFactory factory) => _registeredLocal = factory;

    public static ConnectorFactory ConnectorFor(EndpointKind kind) => kind switch
    {
        EndpointKind.OpenAICompatible => OpenAICompatibleConnector.Create,
        EndpointKind.Anthropic => AnthropicConnector.Create,
        EndpointKind.Gemini => GeminiConnector.Create,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "local endpoints have no HTTP connector"),
    };

    public EndpointConfig Endpoint(string name) => Config.FindEndpoint(name) ?? throw new ConfigException(
        $"{Config.SourcePath}: there is no endpoint named '{name}'; configured: {string.Join(", ", Config.Endpoints.Select(e => e.Name))}");

    public EndpointModel Model(EndpointConfig endpoint, string? model) =>
        model is null ? endpoint.Models[0]
        : endpoint.FindModel(model) ?? throw new ConfigException(
            $"{Config.SourcePath}: endpoint '{endpoint.Name}' lists no model '{model}'; it lists: {string.Join(", ", endpoint.Models.Select(m => m.Name))}");

    /// <summary>The catalog card for a model: the one named by card:, else one whose deployments name this model.</summary>
    public ModelCard? CardFor(EndpointConfig endpoint, EndpointModel model) =>
        model.Card is { } id ? catalog.Find(id) : catalog.Find(model.Name) ?? catalog.FindByDeployment(endpoint.Preset ?? endpoint.Name, model.Name);

    public ModelPrice PriceFor(EndpointConfig endpoint, EndpointModel model) => ModelPrice.Resolve(endpoint, model, CardFor(endpoint, model));

    /// <summary>The key from the endpoint's variable; a missing variable is an error that names it.</summary>
    public string? ApiKey(EndpointConfig endpoint)
    {
        if (endpoint.ApiKeyEnv is not { } env) return null;
        return _options.GetEnvironmentVariable(env) is { Length: > 0 } key ? key.Trim() : throw new EndpointException(EndpointErrorKind.MissingKey, endpoint.Name,
            $"endpoint '{endpoint.Name}' needs an API key in the environment variable {env}, which is not set. Set it (export {env}=...) and try again");
    }

    /// <summary>The full stack for one endpoint and model (the endpoint's first model when none is named).</summary>
    public IChatClient Create(string endpointName, string? model = null, bool useCache = true)
    {
        var endpoint = Endpoint(endpointName);
        return Create(endpoint, Model(endpoint, model), useCache);
    }

    public IChatClient Create(EndpointConfig endpoint, EndpointModel model, bool useCache = true, RetrySettings? retry = null)
    {
        var raw = CreateGuarded(endpoint, model);
        IChatClient client = raw;
        if (useCache && Config.Cache.Enabled && (_options.CacheDirectory ?? Config.Cache.Directory) is { } directory)
            client = new CacheChatClient(client, new ResponseCache(directory), endpoint.Name, model.Name);
        client = new CostChatClient(client, PriceFor(endpoint, model));
        client = new LimitChatClient(client, Gate(endpoint));
        return new RetryChatClient(client, retry ?? _options.Retry);
    }

    /// <summary>Connector plus guard only: what `doctor` probes with, without retries, limits or cache.</summary>
    public IChatClient CreateGuarded(EndpointConfig endpoint, EndpointModel model)
    {
        var context = new EndpointContext(endpoint, model.Name);
        if (endpoint.Kind == EndpointKind.Local)
        {
            var local = _options.LocalFactory ?? _registeredLocal ?? throw new EndpointException(EndpointErrorKind.NotSupported, endpoint.Name,
                $"endpoint '{endpoint.Name}' is kind: local, but the in-process runtime is not available in this build");
            return new GuardChatClient(local(endpoint, model), context);
        }
        var key = ApiKey(endpoint);
        var http = CreateHttpClient(context);
        return new GuardChatClient(ConnectorFor(endpoint.Kind)(context, key, http), context);
    }

    public HttpClient CreateHttpClient(EndpointContext context) =>
        new(new WireGuardHandler(context, _options.CreateHttpHandler()), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

    private LimitGate Gate(EndpointConfig endpoint)
    {
        lock (_lock)
        {
            if (!_gates.TryGetValue(endpoint.Name, out var gate)) _gates[endpoint.Name] = gate = new LimitGate(endpoint.Limits, _options.RateWindow);
            return gate;
        }
    }
}
