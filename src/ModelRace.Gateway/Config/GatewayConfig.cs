using ModelRace.Core.Endpoints;

namespace ModelRace.Gateway.Config;

public enum RouteStrategy { Fallback, Weighted, CheapestPassing, Fastest }

/// <summary>One endpoint+model a route may send to; Weight only matters to weighted routes (percent).</summary>
public sealed record RouteTarget(string Endpoint, string Model, double Weight = 0)
{
    public string Id => $"{Endpoint}/{Model}";
}

/// <summary>A virtual model name and how to pick a real one for each request.</summary>
public sealed record RouteDefinition
{
    public required string Name { get; init; }
    public required RouteStrategy Strategy { get; init; }
    public required IReadOnlyList<RouteTarget> Targets { get; init; }
    /// <summary>Longest wait for one attempt's first byte (and between stream chunks).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Extra attempts on transient errors beyond the first, across all targets of the route.</summary>
    public int Retries { get; init; } = 2;
    /// <summary>Weighted only: the same `user` always lands on the same target.</summary>
    public bool Sticky { get; init; }
    /// <summary>Cheapest-passing only: the suite whose latest race score must meet MinScore.</summary>
    public string? Suite { get; init; }
    public double MinScore { get; init; }
}

/// <summary>The `gateway:` section: server-wide settings.</summary>
public sealed record GatewaySettings
{
    public long MaxBodyBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>Usage rows older than this are deleted; null keeps them forever.</summary>
    public int? UsageRetentionDays { get; init; }
    /// <summary>Whether a request may name `endpoint/model` directly instead of a route.</summary>
    public bool AllowDirect { get; init; } = true;
}

/// <summary>Everything the gateway serves from: endpoints (from Providers) plus routes and settings.</summary>
public sealed record GatewayConfig(ModelRaceConfig Endpoints, IReadOnlyList<RouteDefinition> Routes, GatewaySettings Settings)
{
    public RouteDefinition? FindRoute(string name) => Routes.FirstOrDefault(r => r.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
}
