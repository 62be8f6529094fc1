using System.Globalization;
using ModelRace.Catalog;
using ModelRace.Core.Endpoints;
using ModelRace.Providers;
using ModelRace.Providers.Config;
using ModelRace.Providers.Middleware;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ModelRace.Gateway.Config;

/// <summary>
/// Reads modelrace.yaml for the gateway: endpoints through the Providers loader, then `routes:` and `gateway:`.
/// Every route target must exist and have a price (from the catalog or an explicit price:, zero included), so that
/// nothing is ever silently costed at $0 and budgets hold.
/// </summary>
public static class GatewayConfigLoader
{
    private static readonly string[] RouteFields = ["name", "strategy", "targets", "timeout", "retries", "sticky", "suite", "min_score"];
    private static readonly string[] TargetFields = ["endpoint", "model", "weight"];
    private static readonly string[] SettingsFields = ["max_body_bytes", "usage_retention_days", "allow_direct"];

    public static GatewayConfig LoadFile(string path, ModelCatalog catalog)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot be read: {e.Message}");
        }
        return Parse(text, path, catalog);
    }

    public static GatewayConfig Parse(string yaml, string file, ModelCatalog catalog)
    {
        var endpoints = ConfigLoader.Parse(yaml, file);
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw new ConfigException($"{file}: line {e.Start.Line}: not valid YAML: {e.Message}"); }
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var routes = ParseRoutes(file, Child(root, "routes"));
        var settings = ParseSettings(file, Child(root, "gateway"));
        var config = new GatewayConfig(endpoints, routes, settings);
        Validate(config, catalog);
        return config;
    }

    private static void Validate(GatewayConfig config, ModelCatalog catalog)
    {
        var file = config.Endpoints.SourcePath;
        var factory = new EndpointClientFactory(config.Endpoints, catalog);
        foreach (var route in config.Routes)
        {
            if (config.Endpoints.FindEndpoint(route.Name) is not null || route.Name.Contains('/', StringComparison.Ordinal))
                throw new ConfigException($"{file}: route '{route.Name}': the name clashes with an endpoint or contains '/'; pick another");
            foreach (var target in route.Targets)
            {
                var endpoint = config.Endpoints.FindEndpoint(target.Endpoint) ?? throw new ConfigException(
                    $"{file}: route '{route.Name}': target endpoint '{target.Endpoint}' is not configured; endpoints: {string.Join(", ", config.Endpoints.Endpoints.Select(e => e.Name))}");
                var model = endpoint.FindModel(target.Model) ?? throw new ConfigException(
                    $"{file}: route '{route.Name}': endpoint '{endpoint.Name}' lists no model '{target.Model}'; it lists: {string.Join(", ", endpoint.Models.Select(m => m.Name))}");
                var price = factory.PriceFor(endpoint, model);
                if (price.UnknownReason is { } reason)
                    throw new ConfigException($"{file}: route '{route.Name}': target '{target.Id}' has no price, so the gateway cannot cost or budget it: {reason}");
            }
            if (route.Strategy == RouteStrategy.Weighted && Math.Abs(route.Targets.Sum(t => t.Weight) - 100) > 0.001)
                throw new ConfigException($"{file}: route '{route.Name}': weights must add up to 100 (they add up to {route.Targets.Sum(t => t.Weight):0.###})");
        }
        var names = config.Routes.GroupBy(r => r.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (names is not null) throw new ConfigException($"{file}: route '{names.Key}' is defined twice; route names must be unique");
    }

    /// <summary>Whether every model an endpoint serves has a price; models without one cannot be called directly.</summary>
    public static ModelPrice PriceOf(GatewayConfig config, ModelCatalog catalog, EndpointConfig endpoint, EndpointModel model) =>
        new EndpointClientFactory(config.Endpoints, catalog).PriceFor(endpoint, model);

    private static List<RouteDefinition> ParseRoutes(string file, YamlNode? node)
    {
        if (node is null) return [];
        if (node is not YamlSequenceNode list) throw new ConfigException($"{file}: routes (line {node.Start.Line}): must be a list of '- name: ...' items");
        var routes = new List<RouteDefinition>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            if (list.Children[i] is not YamlMappingNode map)
                throw new ConfigException($"{file}: routes[{i}] (line {list.Children[i].Start.Line}): must be a mapping with name:, strategy: and targets:");
            routes.Add(ParseRoute(file, i, map));
        }
        return routes;
    }

    private static RouteDefinition ParseRoute(string file, int index, YamlMappingNode map)
    {
        var where = $"{file}: routes[{index}]";
        RejectUnknown(where, map, RouteFields);
        var name = Scalar(map, "name") is { Length: > 0 } n ? n : throw new ConfigException($"{where}: name: is required (the model name clients will ask for)");
        where = $"{file}: route '{name}'";
        var strategyText = Scalar(map, "strategy") ?? "fallback";
        var strategy = strategyText.ToLowerInvariant() switch
        {
            "fallback" => RouteStrategy.Fallback,
            "weighted" => RouteStrategy.Weighted,
            "cheapest-passing" => RouteStrategy.CheapestPassing,
            "fastest" => RouteStrategy.Fastest,
            _ => throw new ConfigException($"{where}: strategy: '{strategyText}' is not one of fallback, weighted, cheapest-passing, fastest"),
        };
        if (Child(map, "targets") is not YamlSequenceNode { Children.Count: > 0 } targetList)
            throw new ConfigException($"{where}: targets: must be a non-empty list of endpoint/model items");
        var targets = new List<RouteTarget>();
        foreach (var item in targetList.Children)
        {
            switch (item)
            {
                case YamlScalarNode { Value: { } text } when text.Split('/', 2) is [var e, var m] && e.Length > 0 && m.Length > 0:
                    targets.Add(new RouteTarget(e, m));
                    break;
                case YamlMappingNode t:
                    RejectUnknown($"{where}: targets", t, TargetFields);
                    targets.Add(new RouteTarget(
                        Scalar(t, "endpoint") ?? throw new ConfigException($"{where}: a target (line {t.Start.Line}) needs endpoint:"),
                        Scalar(t, "model") ?? throw new ConfigException($"{where}: a target (line {t.Start.Line}) needs model:"),
                        Number(where, t, "weight") ?? 0));
                    break;
                default:
                    throw new ConfigException($"{where}: target (line {item.Start.Line}) must be 'endpoint/model' or a mapping with endpoint:, model: and weight:");
            }
        }
        var timeoutText = Scalar(map, "timeout");
        var retries = Number(where, map, "retries");
        if (retries is { } r && (r < 0 || r != Math.Floor(r))) throw new ConfigException($"{where}: retries: must be a whole number of at least 0");
        var minScore = Number(where, map, "min_score");
        var suite = Scalar(map, "suite");
        if (strategy == RouteStrategy.CheapestPassing && (suite is null || minScore is null))
            throw new ConfigException($"{where}: a cheapest-passing route needs suite: (the race suite) and min_score: (the score to meet)");
        return new RouteDefinition
        {
            Name = name,
            Strategy = strategy,
            Targets = targets,
            Timeout = timeoutText is null ? TimeSpan.FromSeconds(60)
                : ConfigLoader.ParseDuration(timeoutText) ?? throw new ConfigException($"{where}: timeout: '{timeoutText}' is not a duration (e.g. 30s, 500ms)"),
            Retries = (int)(retries ?? 2),
            Sticky = Scalar(map, "sticky")?.ToLowerInvariant() switch
            {
                null or "false" or "no" => false,
                "true" or "yes" => true,
                var other => throw new ConfigException($"{where}: sticky: '{other}' must be true or false"),
            },
            Suite = suite,
            MinScore = minScore ?? 0,
        };
    }

    private static GatewaySettings ParseSettings(string file, YamlNode? node)
    {
        if (node is null) return new GatewaySettings();
        if (node is not YamlMappingNode map) throw new ConfigException($"{file}: gateway: must be a mapping");
        var where = $"{file}: gateway";
        RejectUnknown(where, map, SettingsFields);
        var maxBody = Number(where, map, "max_body_bytes");
        var retention = Number(where, map, "usage_retention_days");
        if (maxBody is <= 0) throw new ConfigException($"{where}: max_body_bytes: must be above 0");
        if (retention is <= 0) throw new ConfigException($"{where}: usage_retention_days: must be above 0 (leave it out to keep usage forever)");
        return new GatewaySettings
        {
            MaxBodyBytes = (long)(maxBody ?? 4 * 1024 * 1024),
            UsageRetentionDays = retention is { } d ? (int)d : null,
            AllowDirect = Scalar(map, "allow_direct")?.ToLowerInvariant() is not ("false" or "no"),
        };
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is not YamlScalarNode { Value: null or "" or "~" } ? node : null;

    private static string? Scalar(YamlMappingNode map, string key) => Child(map, key) switch
    {
        null => null,
        YamlScalarNode s => s.Value,
        var other => throw new ConfigException($"{key} (line {other.Start.Line}): must be a single value"),
    };

    private static double? Number(string where, YamlMappingNode map, string key)
    {
        var text = Scalar(map, key);
        if (text is null) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value : throw new ConfigException($"{where}: {key}: '{text}' is not a number");
    }

    private static void RejectUnknown(string where, YamlMappingNode map, string[] known)
    {
        foreach (var key in map.Children.Keys.OfType<YamlScalarNode>())
        {
            if (!known.Contains(key.Value))
                throw new ConfigException($"{where}: '{key.Value}' (line {key.Start.Line}) is not a known field; known fields: {string.Join(", ", known)}");
        }
    }
}
