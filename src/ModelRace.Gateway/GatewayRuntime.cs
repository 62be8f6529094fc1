using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelRace.Gateway.Config;
using ModelRace.Gateway.Keys;
using ModelRace.Gateway.Metrics;
using ModelRace.Gateway.Routing;
using ModelRace.Gateway.Usage;
using ModelRace.Gateway.Wire;

namespace ModelRace.Gateway;

/// <summary>The long-lived parts of a running gateway, shared by every request.</summary>
public sealed class GatewayRuntime(ConfigWatcher watcher, KeyCache? keys, BudgetLedger budgets, UsageWriter usage, Router router,
    LatencyTracker latencies, GatewayMetrics metrics, ILogger logger)
{
    public ConfigWatcher Watcher { get; } = watcher;
    /// <summary>Null in --no-auth mode: every request is let in without a key.</summary>
    public KeyCache? Keys { get; } = keys;
    public BudgetLedger Budgets { get; } = budgets;
    public UsageWriter Usage { get; } = usage;
    public Router Router { get; } = router;
    public LatencyTracker Latencies { get; } = latencies;
    public GatewayMetrics Metrics { get; } = metrics;
    public ILogger Logger { get; } = logger;

    /// <summary>The caller's key from `Authorization: Bearer mr-…` or `x-api-key` (Anthropic clients); 401 when missing or unknown.</summary>
    public GatewayKey? Authenticate(HttpRequest request)
    {
        if (Keys is null) return null;
        var secret = request.Headers.Authorization.ToString() is { Length: > 7 } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? auth[7..].Trim()
            : request.Headers["x-api-key"].ToString().Trim();
        if (secret.Length == 0)
            throw new GatewayRequestException(401, "invalid_request_error", "missing_api_key", "no API key: send a gateway key as 'Authorization: Bearer mr-…' (create one with `modelrace keys create`)");
        return Keys.Find(secret) ?? throw new GatewayRequestException(401, "invalid_request_error", "invalid_api_key",
            $"the key {(secret.Length > 9 ? secret[..9] + "…" : "given")} is not a valid gateway key (unknown or revoked)");
    }
}
