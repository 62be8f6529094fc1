using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace ModelRace.Catalog;

/// <summary>
/// Reads typed values out of a YAML mapping while tracking the dotted field path,
/// so that every error can say exactly which field of which file is wrong.
/// </summary>
internal sealed class YamlNodeReader
{
    private readonly YamlMappingNode _map;
    private readonly HashSet<string> _seen = [];

    public YamlNodeReader(string file, string path, YamlMappingNode map)
    {
        File = file;
        Path = path;
        _map = map;
    }

    public string File { get; }
    public string Path { get; }

    public string FieldPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public CatalogException Error(string key, string problem, YamlNode? node = null) =>
        new(File, FieldPath(key), problem, node is null ? null : (int)node.Start.Line);

    public YamlNode? Node(string key)
    {
        _seen.Add(key);
        return _map.Children.TryGetValue(new YamlScalarNode(key), out var node) && !IsNull(node) ? node : null;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Value: null or "" or "~" or "null", Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) };

    public string? String(string key)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is not YamlScalarNode scalar) throw Error(key, "must be a text value", node);
        return scalar.Value;
    }

    public string RequiredString(string key) =>
        String(key) is { Length: > 0 } value ? value : throw Error(key, "is required");

    public double? Number(string key)
    {
        var text = String(key);
        if (text is null) return null;
        if (!double.TryParse(text.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw Error(key, $"must be a number (got '{text}')", Node(key));
        return value;
    }

    public decimal? NonNegativeDecimal(string key)
    {
        var text = String(key);
        if (text is null) return null;
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            throw Error(key, $"must be a number (got '{text}')", Node(key));
        if (value < 0) throw Error(key, $"must not be negative (got {text})", Node(key));
        return value;
    }

    public long? PositiveInteger(string key)
    {
        var number = Number(key);
        if (number is null) return null;
        if (number <= 0 || number != Math.Floor(number.Value) || number > long.MaxValue)
            throw Error(key, $"must be a positive whole number (got {String(key)})", Node(key));
        return (long)number.Value;
    }

    public DateOnly? Date(string key)
    {
        var text = String(key);
        if (text is null) return null;
        if (!DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyy-MM"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            throw Error(key, $"must be a date as YYYY-MM-DD (got '{text}')", Node(key));
        return date;
    }

    public TEnum Enum<TEnum>(string key, IReadOnlyDictionary<string, TEnum> names, TEnum missing)
    {
        var text = String(key);
        if (text is null) return missing;
        if (names.TryGetValue(text.Trim().ToLowerInvariant(), out var value)) return value;
        throw Error(key, $"'{text}' is not one of: {string.Join(", ", names.Keys)}", Node(key));
    }

    public YamlNodeReader? Mapping(string key)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is not YamlMappingNode map) throw Error(key, "must be a mapping of fields", node);
        return new YamlNodeReader(File, FieldPath(key), map);
    }

    public IReadOnlyList<YamlNode> Sequence(string key)
    {
        var node = Node(key);
        if (node is null) return [];
        if (node is not YamlSequenceNode seq) throw Error(key, "must be a list", node);
        return seq.Children.ToList();
    }

    public IReadOnlyList<string> StringList(string key)
    {
        var items = Sequence(key);
        return items.Select((item, i) => item is YamlScalarNode { Value: { } v }
            ? v
            : throw new CatalogException(File, $"{FieldPath(key)}[{i}]", "must be a text value", (int)item.Start.Line)).ToList();
    }

    public IEnumerable<string> Keys =>
        _map.Children.Keys.Select(k => (k as YamlScalarNode)?.Value ?? "");

    /// <summary>Fails on a key the schema does not know: a typo must not silently drop a fact.</summary>
    public void RejectUnknownKeys()
    {
        foreach (var keyNode in _map.Children.Keys)
        {
            // A list or mapping used as a key has no name; report it instead of failing to look it up.
            if (keyNode is not YamlScalarNode { Value: { } key })
                throw new CatalogException(File, Path.Length == 0 ? null : Path, "has a key that is not a plain name", (int)keyNode.Start.Line);
            if (!_seen.Contains(key))
                throw new CatalogException(File, FieldPath(key), "is not a known field", (int)keyNode.Start.Line);
        }
    }
}
