using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelRace.Local.Chat.Jinja;

/// <summary>A name the template read but nobody defined. It renders as nothing and is falsy, as in Jinja.</summary>
public sealed class JinjaUndefined
{
    public static readonly JinjaUndefined Instance = new();
    private JinjaUndefined() { }
    public override string ToString() => "";
}

/// <summary>The object made by <c>namespace()</c>: the one value a template may change from inside a loop.</summary>
public sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>Anything a template can call: a global such as raise_exception, a macro, or a bound string method.</summary>
public sealed class JinjaFunction(string name, Func<IReadOnlyList<object?>, IReadOnlyDictionary<string, object?>, object?> invoke)
{
    public string Name { get; } = name;
    public object? Invoke(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs) => invoke(args, kwargs);
}

/// <summary>
/// Python semantics for the values a template sees: None (null), bool, long, double, string,
/// List&lt;object?&gt;, Dictionary&lt;string, object?&gt;, <see cref="JinjaNamespace"/>, <see cref="JinjaFunction"/>, <see cref="JinjaUndefined"/>.
/// </summary>
public static class JinjaValues
{
    /// <summary>Converts host data (JSON elements and nodes, dictionaries, lists, numbers) to template values.</summary>
    public static object? FromHost(object? value) => value switch
    {
        null => null,
        JinjaUndefined or JinjaNamespace or JinjaFunction or string or bool or long or double => value,
        int or short or byte or sbyte or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ulong u => u <= long.MaxValue ? (long)u : (double)u,
        float or decimal => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        char c => c.ToString(),
        Enum e => e.ToString(),
        JsonElement element => FromJson(element),
        JsonNode node => FromJson(JsonSerializer.SerializeToElement(node)),
        IDictionary<string, object?> dictionary => dictionary.ToDictionary(p => p.Key, p => FromHost(p.Value), StringComparer.Ordinal),
        IReadOnlyDictionary<string, object?> dictionary => dictionary.ToDictionary(p => p.Key, p => FromHost(p.Value), StringComparer.Ordinal),
        IDictionary dictionary => dictionary.Keys.Cast<object>().ToDictionary(k => Str(FromHost(k)), k => FromHost(dictionary[k]), StringComparer.Ordinal),
        IEnumerable sequence => sequence.Cast<object?>().Select(FromHost).ToList(),
        _ => value.ToString(),
    };

    private static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value), StringComparer.Ordinal),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public static bool IsTrue(object? value) => value switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        ICollection c => c.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? value) => value is long or double or bool;

    /// <summary>Python's str().</summary>
    public static string Str(object? value) => value switch
    {
        null => "None",
        JinjaUndefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        JinjaFunction f => $"<function {f.Name}>",
        JinjaNamespace n => $"<Namespace {Repr(n.Attributes)}>",
        _ => Repr(value),
    };

    /// <summary>Python's repr(): what a list or dict shows for its items.</summary>
    public static string Repr(object? value) => value switch
    {
        string s => QuotePython(s),
        List<object?> list => "[" + string.Join(", ", list.Select(Repr)) + "]",
        Dictionary<string, object?> dict => "{" + string.Join(", ", dict.Select(p => QuotePython(p.Key) + ": " + Repr(p.Value))) + "}",
        _ => Str(value),
    };

    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (Math.Abs(d) < 1e16 && (Math.Abs(d) >= 1e-4 || d == 0))
        {
            var fixedText = d.ToString("R", CultureInfo.InvariantCulture);
            if (fixedText.Contains('E', StringComparison.Ordinal)) fixedText = d.ToString("0.################", CultureInfo.InvariantCulture);
            return fixedText.Contains('.', StringComparison.Ordinal) ? fixedText : fixedText + ".0";
        }
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        var e = text.IndexOf('E', StringComparison.Ordinal);
        if (e < 0) return text;
        var exponent = int.Parse(text.AsSpan(e + 1), CultureInfo.InvariantCulture);
        return $"{text[..e]}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
    }

    private static string QuotePython(string s)
    {
        var quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var builder = new StringBuilder().Append(quote);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c == quote) builder.Append('\\');
                    builder.Append(c);
                    break;
            }
        }
        return builder.Append(quote).ToString();
    }

    /// <summary>
    /// JSON as Hugging Face's tojson filter writes it (Python's json.dumps with ensure_ascii=False):
    /// ", " and ": " separators, keys in insertion order, non-ASCII text kept as is.
    /// </summary>
    public static string ToJson(object? value, int? indent = null)
    {
        var builder = new StringBuilder();
        WriteJson(builder, value, indent, 0);
        return builder.ToString();
    }

    private static void WriteJson(StringBuilder builder, object? value, int? indent, int depth)
    {
        switch (value)
        {
            case null or JinjaUndefined: builder.Append("null"); break;
            case bool b: builder.Append(b ? "true" : "false"); break;
            case long l: builder.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: builder.Append(double.IsFinite(d) ? FormatFloat(d) : d > 0 ? "Infinity" : d < 0 ? "-Infinity" : "NaN"); break;
            case string s: WriteJsonString(builder, s); break;
            case List<object?> list:
                WriteJsonContainer(builder, '[', ']', list, indent, depth, (item, b) => WriteJson(b, item, indent, depth + 1));
                break;
            case Dictionary<string, object?> dict:
                WriteJsonContainer(builder, '{', '}', dict.ToList(), indent, depth, (pair, b) =>
                {
                    WriteJsonString(b, pair.Key);
                    b.Append(": ");
                    WriteJson(b, pair.Value, indent, depth + 1);
                });
                break;
            case JinjaNamespace ns: WriteJson(builder, ns.Attributes, indent, depth); break;
            default: WriteJsonString(builder, Str(value)); break;
        }
    }

    private static void WriteJsonContainer<T>(StringBuilder builder, char open, char close, IReadOnlyList<T> items, int? indent, int depth, Action<T, StringBuilder> writeItem)
    {
        builder.Append(open);
        if (items.Count == 0)
        {
            builder.Append(close);
            return;
        }
        for (var i = 0; i < items.Count; i++)
        {
            if (indent is { } n) builder.Append(i > 0 ? ",\n" : "\n").Append(' ', n * (depth + 1));
            else if (i > 0) builder.Append(", ");
            writeItem(items[i], builder);
        }
        if (indent is { } m) builder.Append('\n').Append(' ', m * depth);
        builder.Append(close);
    }

    private static void WriteJsonString(StringBuilder builder, string s)
    {
        builder.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                default:
                    if (c < 0x20) builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else builder.Append(c);
                    break;
            }
        }
        builder.Append('"');
    }

    public static bool AreEqual(object? left, object? right)
    {
        if (IsNumber(left) && IsNumber(right)) return ToDouble(left) == ToDouble(right);
        return (left, right) switch
        {
            (null, null) or (JinjaUndefined, JinjaUndefined) => true,
            (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
            (List<object?> a, List<object?> b) => a.Count == b.Count && a.Zip(b).All(p => AreEqual(p.First, p.Second)),
            (Dictionary<string, object?> a, Dictionary<string, object?> b) =>
                a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && AreEqual(p.Value, v)),
            _ => ReferenceEquals(left, right),
        };
    }

    public static int Compare(object? left, object? right)
    {
        if (IsNumber(left) && IsNumber(right)) return ToDouble(left).CompareTo(ToDouble(right));
        if (left is string a && right is string b) return string.CompareOrdinal(a, b);
        if (left is List<object?> x && right is List<object?> y)
        {
            for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
                if (Compare(x[i], y[i]) is var c and not 0) return c;
            return x.Count.CompareTo(y.Count);
        }
        throw new JinjaException($"cannot compare {TypeName(left)} with {TypeName(right)}");
    }

    public static double ToDouble(object? value) => value switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new JinjaException($"expected a number but got {TypeName(value)}"),
    };

    public static long ToLong(object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        _ => throw new JinjaException($"expected an integer but got {TypeName(value)}"),
    };

    public static string TypeName(object? value) => value switch
    {
        null => "None",
        JinjaUndefined => "undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        JinjaNamespace => "namespace",
        JinjaFunction => "function",
        _ => value.GetType().Name,
    };

    /// <summary>The items a for loop visits: a list's items, a dict's keys, a string's characters.</summary>
    public static List<object?> Iterate(object? value) => value switch
    {
        null or JinjaUndefined => [],
        List<object?> list => list,
        Dictionary<string, object?> dict => dict.Keys.Cast<object?>().ToList(),
        string s => s.Select(c => (object?)c.ToString()).ToList(),
        JinjaNamespace ns => ns.Attributes.Keys.Cast<object?>().ToList(),
        _ => throw new JinjaException($"'{TypeName(value)}' object is not iterable"),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new JinjaException($"'in <string>' requires a string on the left, not {TypeName(item)}"),
        List<object?> list => list.Any(x => AreEqual(x, item)),
        Dictionary<string, object?> dict => item is string key && dict.ContainsKey(key),
        null or JinjaUndefined => false,
        _ => throw new JinjaException($"argument of type '{TypeName(container)}' is not iterable"),
    };

    public static object? Length(object? value) => value switch
    {
        string s => (long)s.Length,
        ICollection c => (long)c.Count,
        JinjaUndefined => 0L,
        _ => throw new JinjaException($"object of type '{TypeName(value)}' has no len()"),
    };
}
