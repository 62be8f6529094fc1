namespace ModelRace.Core.Endpoints;

/// <summary>The wire protocol an endpoint speaks.</summary>
public enum EndpointKind { OpenAICompatible, Anthropic, Gemini, Local }

/// <summary>Where data sent to an endpoint goes: private stays on infrastructure you control, external leaves it.</summary>
public enum DeploymentClass { External, Private }

/// <summary>A model served by an endpoint: the name the provider expects and the catalog card that describes it.</summary>
/// <param name="Path">Only for local endpoints: the GGUF file on this machine.</param>
public sealed record EndpointModel(string Name, string? Card = null, string? Path = null);

/// <summary>Per-endpoint limits; null means "no limit" (or the default timeout).</summary>
public sealed record EndpointLimits
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);
    public int? MaxConcurrency { get; init; }
    public int? RequestsPerMinute { get; init; }
    public int? TokensPerMinute { get; init; }
    /// <summary>Longest wait for the first byte of a reply and, when streaming, between two chunks.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;
}

/// <summary>An explicit price that replaces the catalog's (e.g. 0 for a self-hosted server), per 1M tokens.</summary>
public sealed record PriceOverride(decimal Input, decimal Output, decimal? CachedInput, string Currency);

public sealed record EndpointConfig
{
    public required string Name { get; init; }
    public required EndpointKind Kind { get; init; }
    /// <summary>The preset this endpoint was filled from, if any.</summary>
    public string? Preset { get; init; }
    public Uri? BaseUrl { get; init; }
    /// <summary>The NAME of the environment variable that holds the key; null for endpoints without a key.</summary>
    public string? ApiKeyEnv { get; init; }
    public DeploymentClass Deployment { get; init; }
    public IReadOnlyList<EndpointModel> Models { get; init; } = [];
    public EndpointLimits Limits { get; init; } = new();
    public PriceOverride? Price { get; init; }

    public EndpointModel? FindModel(string name) =>
        Models.FirstOrDefault(m => m.Name.Equals(name, StringComparison.Ordinal))
        ?? Models.FirstOrDefault(m => m.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The response cache: on by default, stored under ~/.modelrace/cache unless a directory is given.</summary>
public sealed record CacheSettings(bool Enabled = true, string? Directory = null);

/// <summary>The parsed modelrace.yaml.</summary>
public sealed record ModelRaceConfig
{
    /// <summary>The file it came from, for messages.</summary>
    public required string SourcePath { get; init; }
    public string? Database { get; init; }
    public CacheSettings Cache { get; init; } = new();
    public IReadOnlyList<EndpointConfig> Endpoints { get; init; } = [];

    public EndpointConfig? FindEndpoint(string name) =>
        Endpoints.FirstOrDefault(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
}
