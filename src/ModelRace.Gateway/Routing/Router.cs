using ModelRace.Core.Endpoints;
using ModelRace.Gateway.Config;
using ModelRace.Gateway.Keys;
using ModelRace.Gateway.Wire;

namespace ModelRace.Gateway.Routing;

/// <summary>What routing decided: the upstreams to try in order, and the route's timeout and attempt budget.</summary>
public sealed record RoutePlan(string RouteName, IReadOnlyList<Upstream> Candidates, TimeSpan Timeout, int MaxAttempts);

/// <summary>
/// Turns the requested model name into an ordered list of upstreams by the route's strategy, then applies the data
/// policy: confidential requests keep only private endpoints, and if none is left the request fails closed.
/// </summary>
public sealed class Router(LatencyTracker latencies, IRaceScores? scores)
{
    public RoutePlan Plan(GatewayConfig config, IUpstreamRegistry registry, ChatRequest request, DataClass dataClass)
    {
        List<Upstream> ordered;
        RouteDefinition? route = config.FindRoute(request.Model);
        if (route is not null) ordered = Order(route, registry, request);
        else if (config.Settings.AllowDirect && request.Model.Split('/', 2) is [var endpoint, var model] && registry.Find(endpoint, model) is { } direct)
            ordered = [direct];
        else
        {
            throw new GatewayRequestException(404, "invalid_request_error", "model_not_found",
                $"the model '{request.Model}' does not exist on this gateway; GET /v1/models lists the routes{(config.Settings.AllowDirect ? " and endpoint/model names" : "")} you may use", "model");
        }

        if (ordered.Count == 0)
            throw new GatewayRequestException(503, "server_error", "no_usable_target", $"'{request.Model}' has no usable target in the current config");
        if (dataClass == DataClass.Confidential)
        {
            var allowed = ordered.Where(u => u.Deployment == DeploymentClass.Private).ToList();
            if (allowed.Count == 0)
            {
                throw new GatewayRequestException(403, "permission_error", "data_policy_violation",
                    $"this request is confidential, and '{request.Model}' has no endpoint of deployment class private " +
                    $"({string.Join(", ", ordered.Select(u => $"{u.Id} is {u.Deployment.ToString().ToLowerInvariant()}"))}); " +
                    "nothing was sent. Use a route with a private endpoint, or send non-confidential data only");
            }
            ordered = allowed;
        }
        var timeout = route?.Timeout ?? config.Endpoints.FindEndpoint(ordered[0].Endpoint)!.Limits.Timeout;
        var attempts = route is null ? 1 : route.Retries + 1;
        return new RoutePlan(route?.Name ?? request.Model, ordered, timeout, attempts);
    }

    private List<Upstream> Order(RouteDefinition route, IUpstreamRegistry registry, ChatRequest request)
    {
        var upstreams = route.Targets.Select(t => (Target: t, Upstream: registry.Find(t.Endpoint, t.Model))).Where(x => x.Upstream is not null)
            .Select(x => (x.Target, Upstream: x.Upstream!)).ToList();
        switch (route.Strategy)
        {
            case RouteStrategy.Fallback:
                return upstreams.Select(x => x.Upstream).ToList();
            case RouteStrategy.Weighted:
            {
                // Sticky: the user's hash picks the same point on the 0–100 line every time; otherwise a random point.
                var point = route.Sticky && request.User is { Length: > 0 } user
                    ? StableHash(user) % 10_000 / 100.0
                    : Random.Shared.NextDouble() * 100;
                var chosen = upstreams[^1];
                double cumulative = 0;
                foreach (var x in upstreams)
                {
                    cumulative += x.Target.Weight;
                    if (point < cumulative) { chosen = x; break; }
                }
                // The others follow as fallbacks, heaviest first.
                return [chosen.Upstream, .. upstreams.Where(x => x != chosen).OrderByDescending(x => x.Target.Weight).Select(x => x.Upstream)];
            }
            case RouteStrategy.CheapestPassing:
            {
                var passing = upstreams
                    .Select(x => (x.Upstream, Score: scores?.LatestScore(route.Suite!, x.Upstream.Endpoint, x.Upstream.Model)))
                    .Where(x => x.Score is { } s && s >= route.MinScore)
                    .OrderBy(x => (x.Upstream.Price.Input ?? 0) + (x.Upstream.Price.Output ?? 0))
                    .Select(x => x.Upstream).ToList();
                if (passing.Count == 0)
                {
                    throw new GatewayRequestException(503, "server_error", "no_passing_endpoint",
                        $"route '{route.Name}': no target has a race score of at least {route.MinScore} on suite '{route.Suite}' " +
                        "(run `modelrace race` on that suite, or lower min_score)");
                }
                return passing;
            }
            case RouteStrategy.Fastest:
                // Unmeasured upstreams go first, so that each gets measured before the ranking settles.
                return upstreams.Select(x => x.Upstream).OrderBy(u => latencies.P50(u.Id) ?? -1).ToList();
            default:
                throw new InvalidOperationException($"unknown strategy {route.Strategy}");
        }
    }

    /// <summary>FNV-1a: stable across processes and restarts, unlike string.GetHashCode.</summary>
    private static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
