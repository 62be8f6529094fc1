using System.Globalization;
using System.Text.RegularExpressions;
using ModelRace.Core.Endpoints;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ModelRace.Providers.Config;

/// <summary>Parses modelrace.yaml; every error names the file, the endpoint and the field (with its line).</summary>
public static partial class ConfigLoader
{
    // routes: and gateway: belong to the gateway, which parses them itself (ModelRace.Gateway.Config.GatewayConfigLoader).
    private static readonly string[] TopLevelFields = ["database", "cache", "endpoints", "routes", "gateway"];
    private static readonly string[] EndpointFields = ["name", "preset", "kind", "base_url", "api_key_env", "deployment", "models", "limits", "price"];
    private static readonly string[] ModelFields = ["name", "card", "path"];
    private static readonly string[] LimitFields = ["max_concurrency", "rpm", "tpm", "timeout"];
    private static readonly string[] PriceFields = ["input", "output", "cached_input", "currency"];
    private static readonly string[] CacheFields = ["enabled", "directory"];
    private static readonly string[] KeyLikeFieldNames = ["api_key", "apikey", "key", "token", "secret", "api_token", "password", "authorization"];

    public static ModelRaceConfig LoadFile(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot be read: {e.Message}");
        }
        return Parse(text, path);
    }

    public static ModelRaceConfig Parse(string yaml, string file)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            throw new ConfigException($"{file}: line {e.Start.Line}: not valid YAML: {e.InnerException?.Message ?? e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            throw new ConfigException($"{file}: the file is empty; it needs an 'endpoints:' list (run `modelrace config init` for an example)");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ConfigException($"{file}: the top level must be a mapping with 'endpoints:'");

        var top = new Fields(file, null, "", root);
        top.RejectUnknown(TopLevelFields);
        var endpointsNode = top.Node("endpoints") ?? throw top.Error("endpoints", "is required: list the endpoints to connect to");
        if (endpointsNode is not YamlSequenceNode list) throw top.Error("endpoints", "must be a list (each item starting with '- name:')", endpointsNode);

        var endpoints = new List<EndpointConfig>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var endpoint = ParseEndpoint(file, i, list.Children[i]);
            if (endpoints.Any(e => e.Name.Equals(endpoint.Name, StringComparison.OrdinalIgnoreCase)))
                throw ConfigException.At(file, endpoint.Name, "name", $"(line {list.Children[i].Start.Line}) is used by two endpoints; names must be unique");
            endpoints.Add(endpoint);
        }
        return new ModelRaceConfig
        {
            SourcePath = file,
            Database = top.String("database"),
            Cache = ParseCache(top),
            Endpoints = endpoints,
        };
    }

    private static CacheSettings ParseCache(Fields top)
    {
        var node = top.Node("cache");
        if (node is null) return new CacheSettings();
        if (node is YamlScalarNode) return new CacheSettings(top.Bool("cache") ?? true);
        var cache = top.Child("cache", node);
        cache.RejectUnknown(CacheFields);
        return new CacheSettings(cache.Bool("enabled") ?? true, cache.String("directory"));
    }

    private static EndpointConfig ParseEndpoint(string file, int index, YamlNode node)
    {
        if (node is not YamlMappingNode map)
            throw new ConfigException($"{file}: endpoints[{index}] (line {node.Start.Line}): must be a mapping with name:, preset: or kind:, and models:");
        var probe = new Fields(file, null, $"endpoints[{index}]", map);
        var name = probe.String("name") is { Length: > 0 } n ? n : throw probe.Error("name", "is required: give every endpoint a name");
        var f = new Fields(file, name, "", map);
        foreach (var keyField in KeyLikeFieldNames)
        {
            if (f.Has(keyField))
                throw f.Error(keyField, "a key must never be written in modelrace.yaml. Put it in an environment variable " +
                                        "and name that variable with api_key_env (for example api_key_env: OPENAI_API_KEY)");
        }
        f.RejectUnknown(EndpointFields);

        EndpointPreset? preset = null;
        if (f.String("preset") is { } presetName)
        {
            preset = EndpointPresets.Find(presetName) ?? throw f.Error("preset",
                $"'{presetName}' is not a known preset; known presets: {string.Join(", ", EndpointPresets.All.Select(p => p.Name))}");
        }
        var kindText = f.String("kind");
        var kind = kindText is null
            ? preset?.Kind ?? throw f.Error("kind", "is required when no preset is given: openai-compatible, anthropic, gemini or local")
            : ParseKind(kindText) ?? throw f.Error("kind", $"'{kindText}' is not a kind; use openai-compatible, anthropic, gemini or local");

        var baseUrl = preset?.BaseUrl;
        if (f.String("base_url") is { } urlText)
        {
            if (!Uri.TryCreate(urlText, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
                throw f.Error("base_url", $"'{urlText}' is not an http:// or https:// URL");
            baseUrl = parsed;
        }
        if (baseUrl is null && kind != EndpointKind.Local)
            throw f.Error("base_url", "is required for this endpoint (or use a preset that supplies it)");

        var keyEnv = preset?.ApiKeyEnv;
        if (f.String("api_key_env") is { } envText)
        {
            if (LooksLikeKey(envText))
                throw f.Error("api_key_env", "this looks like a key itself. Never write a key in modelrace.yaml: put it in an " +
                                             "environment variable (export MY_KEY=...) and write that variable's NAME here");
            if (!EnvNameRegex().IsMatch(envText))
                throw f.Error("api_key_env", $"'{envText}' is not an environment variable name (letters, digits and _ only)");
            keyEnv = envText;
        }
        if (keyEnv is null && kind is EndpointKind.Anthropic or EndpointKind.Gemini)
            throw f.Error("api_key_env", $"is required for a {KindName(kind)} endpoint: name the environment variable that holds the key");

        var deploymentText = f.String("deployment");
        var deployment = deploymentText switch
        {
            null => preset?.Deployment ?? (kind == EndpointKind.Local || IsLoopback(baseUrl) ? DeploymentClass.Private : DeploymentClass.External),
            _ when deploymentText.Equals("private", StringComparison.OrdinalIgnoreCase) => DeploymentClass.Private,
            _ when deploymentText.Equals("external", StringComparison.OrdinalIgnoreCase) => DeploymentClass.External,
            _ => throw f.Error("deployment", $"'{deploymentText}' must be private (your own infrastructure) or external (a third party's)"),
        };

        return new EndpointConfig
        {
            Name = name, Kind = kind, Preset = preset?.Name, BaseUrl = baseUrl, ApiKeyEnv = keyEnv, Deployment = deployment,
            Models = ParseModels(f, kind), Limits = ParseLimits(f), Price = ParsePrice(f),
        };
    }

    private static List<EndpointModel> ParseModels(Fields f, EndpointKind kind)
    {
        var node = f.Node("models") ?? throw f.Error("models", "is required: list at least one model this endpoint serves");
        if (node is not YamlSequenceNode list || list.Children.Count == 0)
            throw f.Error("models", "must be a non-empty list, e.g. models: [{ name: gpt-4o-mini, card: gpt-4o-mini }]", node);
        var models = new List<EndpointModel>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var item = list.Children[i];
            EndpointModel model;
            if (item is YamlScalarNode { Value: { Length: > 0 } plain }) model = new EndpointModel(plain);
            else if (item is YamlMappingNode map)
            {
                var m = new Fields(f.File, f.Endpoint, $"models[{i}]", map);
                m.RejectUnknown(ModelFields);
                model = new EndpointModel(
                    m.String("name") is { Length: > 0 } n ? n : throw m.Error("name", "is required: the model name the provider expects"),
                    m.String("card"), m.String("path"));
            }
            else throw f.Error($"models[{i}]", "must be a model name or a mapping with name: and card:", item);
            if (kind == EndpointKind.Local && model.Path is null)
                throw f.Error($"models[{i}].path", "is required for a local endpoint: the GGUF file to load", item);
            models.Add(model);
        }
        return models;
    }

    private static EndpointLimits ParseLimits(Fields f)
    {
        var node = f.Node("limits");
        if (node is null) return new EndpointLimits();
        var l = f.Child("limits", node);
        l.RejectUnknown(LimitFields);
        var timeout = l.String("timeout");
        return new EndpointLimits
        {
            MaxConcurrency = l.PositiveInt("max_concurrency"),
            RequestsPerMinute = l.PositiveInt("rpm"),
            TokensPerMinute = l.PositiveInt("tpm"),
            Timeout = timeout is null ? EndpointLimits.DefaultTimeout
                : ParseDuration(timeout) ?? throw l.Error("timeout", $"'{timeout}' is not a duration; write e.g. 30s, 2m, 500ms or a number of seconds"),
        };
    }

    private static PriceOverride? ParsePrice(Fields f)
    {
        var node = f.Node("price");
        if (node is null) return null;
        var p = f.Child("price", node);
        p.RejectUnknown(PriceFields);
        return new PriceOverride(
            p.Decimal("input") ?? throw p.Error("input", "is required: price per 1M input tokens (0 for free)"),
            p.Decimal("output") ?? throw p.Error("output", "is required: price per 1M output tokens (0 for free)"),
            p.Decimal("cached_input"),
            p.String("currency") ?? "USD");
    }

    public static EndpointKind? ParseKind(string text) => text.Trim().ToLowerInvariant() switch
    {
        "openai-compatible" or "openai" or "openai_compatible" => EndpointKind.OpenAICompatible,
        "anthropic" => EndpointKind.Anthropic,
        "gemini" => EndpointKind.Gemini,
        "local" => EndpointKind.Local,
        _ => null,
    };

    public static string KindName(EndpointKind kind) => kind switch
    {
        EndpointKind.OpenAICompatible => "openai-compatible",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>"30s", "2m", "500ms", "1h" or a bare number of seconds.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var match = DurationRegex().Match(text.Trim());
        if (!match.Success) return null;
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var span = match.Groups[2].Value.ToLowerInvariant() switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "" or "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            _ => (TimeSpan?)null,
        };
        return span is { } s && s > TimeSpan.Zero ? s : null;
    }

    /// <summary>Keys are long runs of mixed case and digits or carry a vendor prefix; variable names are UPPER_SNAKE.</summary>
    public static bool LooksLikeKey(string value)
    {
        var v = value.Trim();
        if (v.StartsWith("sk-", StringComparison.Ordinal) || v.StartsWith("sk_", StringComparison.Ordinal) || v.StartsWith("AIza", StringComparison.Ordinal)
            || v.StartsWith("gsk_", StringComparison.Ordinal) || v.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return true;
        if (EnvNameRegex().IsMatch(v) && (v.Contains('_', StringComparison.Ordinal) || !v.Any(char.IsLower))) return false;
        return v.Length >= 20 && v.Any(char.IsLower) && v.Any(char.IsDigit) && !v.Contains(' ', StringComparison.Ordinal);
    }

    private static bool IsLoopback(Uri? url) => url is not null && (url.IsLoopback || url.Host is "localhost");

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvNameRegex();

    [GeneratedRegex("^([0-9]+(?:\\.[0-9]+)?)\\s*(ms|s|m|h)?$", RegexOptions.IgnoreCase)]
    private static partial Regex DurationRegex();

    /// <summary>Typed reads from one mapping, with errors that carry file, endpoint, field path and line.</summary>
    private sealed class Fields(string file, string? endpoint, string path, YamlMappingNode map)
    {
        public string File { get; } = file;
        public string? Endpoint { get; } = endpoint;

        private string FieldPath(string key) => path.Length == 0 ? key : $"{path}.{key}";

        public ConfigException Error(string key, string problem, YamlNode? node = null)
        {
            node ??= map.Children.TryGetValue(new YamlScalarNode(key), out var found) ? found : null;
            var line = node is null ? map.Start.Line : node.Start.Line;
            return ConfigException.At(File, Endpoint, FieldPath(key), $"(line {line}) {problem}");
        }

        public bool Has(string key) => map.Children.Keys.OfType<YamlScalarNode>().Any(k => string.Equals(k.Value, key, StringComparison.OrdinalIgnoreCase));

        public void RejectUnknown(string[] known)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = (key as YamlScalarNode)?.Value ?? "?";
                if (!known.Contains(name))
                    throw Error(name, $"is not a known field here; known fields: {string.Join(", ", known)}", key);
            }
        }

        public Fields Child(string key, YamlNode node) => node is YamlMappingNode child
            ? new Fields(File, Endpoint, FieldPath(key), child)
            : throw Error(key, "must be a mapping (key: value lines indented below it)", node);

        public YamlNode? Node(string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is not YamlScalarNode { Value: null or "" or "~" or "null" } ? node : null;

        public string? String(string key)
        {
            var node = Node(key);
            if (node is null) return null;
            return node is YamlScalarNode scalar ? scalar.Value : throw Error(key, "must be a single value, not a list or mapping", node);
        }

        public bool? Bool(string key) => String(key)?.ToLowerInvariant() switch
        {
            null => null,
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            var other => throw Error(key, $"'{other}' must be true or false"),
        };

        public int? PositiveInt(string key)
        {
            var text = String(key);
            if (text is null) return null;
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
                ? value : throw Error(key, $"'{text}' must be a whole number above 0");
        }

        public decimal? Decimal(string key)
        {
            var text = String(key);
            if (text is null) return null;
            return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
                ? value : throw Error(key, $"'{text}' must be a number of at least 0");
        }
    }
}
