using ModelRace.Core.Endpoints;

namespace ModelRace.Providers.Connectors;

/// <summary>Who we are talking to, so that every error can name the endpoint, model, URL and key variable.</summary>
public sealed record EndpointContext(EndpointConfig Endpoint, string Model)
{
    public string Name => Endpoint.Name;
    public string Url => Endpoint.BaseUrl?.ToString() ?? "(no URL)";
    public TimeSpan Timeout => Endpoint.Limits.Timeout;

    public string KeyPhrase => Endpoint.ApiKeyEnv is { } env ? $"the key in {env}" : "the request (no key variable is configured)";
}
