using System.Text.Json;
using System.Text.Json.Nodes;
using ModelRace.Core.Race;

namespace ModelRace.Race.Scoring;

/// <summary>Finds the JSON value in a reply: the whole reply, a ```json fence, or the outermost {…} / […] span.</summary>
public static class JsonExtractor
{
    public static JsonNode? TryExtract(string response, out string? error)
    {
        error = null;
        foreach (var candidate in Candidates(response))
        {
            try
            {
                var node = JsonNode.Parse(candidate);
                if (node is not null) return node;
            }
            catch (JsonException e)
            {
                error = e.Message;
            }
        }
        error ??= "no JSON found";
        return null;
    }

    private static IEnumerable<string> Candidates(string response)
    {
        var trimmed = response.Trim();
        yield return trimmed;
        var fence = trimmed.IndexOf("```", StringComparison.Ordinal);
        if (fence >= 0)
        {
            var bodyStart = trimmed.IndexOf('\n', fence);
            var end = bodyStart >= 0 ? trimmed.IndexOf("```", bodyStart, StringComparison.Ordinal) : -1;
            if (end > bodyStart) yield return trimmed[(bodyStart + 1)..end].Trim();
        }
        foreach (var (open, close) in new[] { ('{', '}'), ('[', ']') })
        {
            var first = trimmed.IndexOf(open);
            var last = trimmed.LastIndexOf(close);
            if (first >= 0 && last > first) yield return trimmed[first..(last + 1)];
        }
    }
}

/// <summary>"json": right when the reply holds a well-formed JSON value.</summary>
public sealed class JsonValidScorer : SyncScorer
{
    public override string Name => "json";

    public override ScoreResult Score(SuiteItem item, string response)
    {
        var node = JsonExtractor.TryExtract(response, out var error);
        return ScoreResult.Of(node is not null, node?.ToJsonString(), node is null ? error : null);
    }
}

/// <summary>
/// "json-schema": options {"schema": {...}, "expected": {...}}. Right when the reply's JSON satisfies the schema
/// and, when "expected" is given, each expected property equals the reply's (strings compared trimmed, ignoring case).
/// </summary>
public sealed class JsonSchemaScorer : SyncScorer
{
    public override string Name => "json-schema";

    public override ScoreResult Score(SuiteItem item, string response)
    {
        if (string.IsNullOrWhiteSpace(item.ScorerOptionsJson))
            throw new ScoringException($"item {item.Id}: json-schema needs options with a \"schema\"");
        var options = JsonNode.Parse(item.ScorerOptionsJson)!.AsObject();
        var schema = options["schema"] ?? throw new ScoringException($"item {item.Id}: json-schema options have no \"schema\"");
        var node = JsonExtractor.TryExtract(response, out var error);
        if (node is null) return ScoreResult.Of(false, null, error);
        var problems = JsonSchemaValidator.Validate(node, schema);
        if (problems.Count > 0) return ScoreResult.Of(false, node.ToJsonString(), string.Join("; ", problems));
        if (options["expected"] is JsonObject expected)
        {
            foreach (var (name, want) in expected)
            {
                var got = node[name];
                if (!LooseEquals(got, want)) return ScoreResult.Of(false, node.ToJsonString(), $"{name}: expected {want?.ToJsonString()}, got {got?.ToJsonString() ?? "nothing"}");
            }
        }
        return ScoreResult.Of(true, node.ToJsonString());
    }

    private static bool LooseEquals(JsonNode? got, JsonNode? want)
    {
        if (got is null || want is null) return got is null && want is null;
        if (want is JsonValue wv && got is JsonValue gv)
        {
            if (wv.TryGetValue<string>(out var ws) && gv.TryGetValue<string>(out var gs))
                return ws.Trim().Equals(gs.Trim(), StringComparison.OrdinalIgnoreCase);
            if (wv.TryGetValue<double>(out var wd) && gv.TryGetValue<double>(out var gd)) return Math.Abs(wd - gd) < 1e-9;
        }
        return JsonNode.DeepEquals(got, want);
    }
}

/// <summary>A small JSON Schema subset: type, required, properties, enum, items, minimum, maximum.</summary>
public static class JsonSchemaValidator
{
    public static IReadOnlyList<string> Validate(JsonNode? value, JsonNode schema)
    {
        var problems = new List<string>();
        Check(value, schema, "$", problems);
        return problems;
    }

    private static void Check(JsonNode? value, JsonNode schema, string path, List<string> problems)
    {
        if (schema is not JsonObject s) return;
        if (s["type"] is { } type)
        {
            var allowed = type is JsonArray arr ? arr.Select(t => t!.GetValue<string>()).ToList() : [type.GetValue<string>()];
            if (!allowed.Any(t => IsType(value, t)))
            {
                problems.Add($"{path}: expected {string.Join(" or ", allowed)}, got {TypeOf(value)}");
                return;
            }
        }
        if (s["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, value)))
            problems.Add($"{path}: {value?.ToJsonString() ?? "null"} is not one of {options.ToJsonString()}");
        if (value is JsonValue number && number.TryGetValue<double>(out var d))
        {
            if (s["minimum"] is { } min && d < min.GetValue<double>()) problems.Add($"{path}: {d} is below minimum {min}");
            if (s["maximum"] is { } max && d > max.GetValue<double>()) problems.Add($"{path}: {d} is above maximum {max}");
        }
        if (value is JsonObject obj)
        {
            if (s["required"] is JsonArray required)
                foreach (var name in required.Select(r => r!.GetValue<string>()))
                    if (!obj.ContainsKey(name)) problems.Add($"{path}: missing required property '{name}'");
            if (s["properties"] is JsonObject properties)
                foreach (var (name, propertySchema) in properties)
                    if (obj.TryGetPropertyValue(name, out var propertyValue) && propertySchema is not null)
                        Check(propertyValue, propertySchema, $"{path}.{name}", problems);
        }
        if (value is JsonArray array && s["items"] is { } itemSchema)
            for (var i = 0; i < array.Count; i++) Check(array[i], itemSchema, $"{path}[{i}]", problems);
    }

    private static bool IsType(JsonNode? value, string type) => type switch
    {
        "null" => value is null,
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "boolean" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "number" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        "integer" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && Math.Floor(d) == d,
        _ => throw new ScoringException($"unsupported JSON schema type '{type}'"),
    };

    private static string TypeOf(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ => value.GetValueKind().ToString().ToLowerInvariant(),
    };
}
