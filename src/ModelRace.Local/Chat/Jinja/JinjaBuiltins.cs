using System.Net;

namespace ModelRace.Local.Chat.Jinja;

/// <summary>The filters and tests chat templates use, with Jinja2's names and argument conventions.</summary>
internal static class JinjaBuiltins
{
    public delegate object? Filter(object? input, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs);

    private static object? Arg(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int index, string name, object? fallback = null) =>
        kwargs.TryGetValue(name, out var named) ? named : index < args.Count ? args[index] : fallback;

    private static readonly Dictionary<string, Filter> Filters = new(StringComparer.Ordinal)
    {
        ["trim"] = (v, a, k) => Arg(a, k, 0, "chars") is string chars ? JinjaValues.Str(v).Trim(chars.ToCharArray()) : JinjaValues.Str(v).Trim(),
        ["length"] = (v, _, _) => JinjaValues.Length(v),
        ["count"] = (v, _, _) => JinjaValues.Length(v),
        ["upper"] = (v, _, _) => JinjaValues.Str(v).ToUpperInvariant(),
        ["lower"] = (v, _, _) => JinjaValues.Str(v).ToLowerInvariant(),
        ["capitalize"] = (v, _, _) => JinjaMembers.Capitalize(JinjaValues.Str(v)),
        ["title"] = (v, _, _) => JinjaMembers.Title(JinjaValues.Str(v)),
        ["default"] = Default,
        ["d"] = Default,
        ["tojson"] = (v, a, k) => JinjaValues.ToJson(v, Arg(a, k, 0, "indent") is { } indent and not JinjaUndefined ? (int)JinjaValues.ToLong(indent) : null),
        ["string"] = (v, _, _) => JinjaValues.Str(v),
        ["int"] = (v, a, k) => ToInt(v, Arg(a, k, 0, "default", 0L)),
        ["float"] = (v, a, k) => ToFloat(v, Arg(a, k, 0, "default", 0.0)),
        ["abs"] = (v, _, _) => v is long l ? Math.Abs(l) : Math.Abs(JinjaValues.ToDouble(v)),
        ["first"] = (v, _, _) => JinjaValues.Iterate(v) is { Count: > 0 } items ? items[0] : JinjaUndefined.Instance,
        ["last"] = (v, _, _) => JinjaValues.Iterate(v) is { Count: > 0 } items ? items[^1] : JinjaUndefined.Instance,
        ["list"] = (v, _, _) => JinjaValues.Iterate(v).ToList(),
        ["reverse"] = (v, _, _) => v is string s ? new string(s.Reverse().ToArray()) : Enumerable.Reverse(JinjaValues.Iterate(v)).ToList(),
        ["join"] = (v, a, k) => string.Join(JinjaValues.Str(Arg(a, k, 0, "d", "")),
            JinjaValues.Iterate(v).Select(item => Arg(a, k, 1, "attribute") is { } attr and not JinjaUndefined ? JinjaMembers.GetItem(item, attr) : item).Select(JinjaValues.Str)),
        ["replace"] = (v, a, k) => ((JinjaFunction)JinjaMembers.GetAttribute(JinjaValues.Str(v), "replace")!).Invoke(a, k),
        ["items"] = (v, _, _) => v is Dictionary<string, object?> d ? d.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList()
            : v is JinjaUndefined ? new List<object?>() : throw new JinjaException($"items: expected a dict, got {JinjaValues.TypeName(v)}"),
        ["dictsort"] = (v, _, _) => v is Dictionary<string, object?> d
            ? d.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase).Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList()
            : throw new JinjaException($"dictsort: expected a dict, got {JinjaValues.TypeName(v)}"),
        ["sort"] = Sort,
        ["unique"] = (v, _, _) => JinjaValues.Iterate(v).Aggregate(new List<object?>(), (seen, x) => { if (!seen.Any(s => JinjaValues.AreEqual(s, x))) seen.Add(x); return seen; }),
        ["sum"] = (v, _, _) => JinjaValues.Iterate(v).Aggregate((object?)0L, (acc, x) => JinjaOperators.Binary("+", acc, x)),
        ["min"] = (v, _, _) => JinjaValues.Iterate(v).DefaultIfEmpty(JinjaUndefined.Instance).Aggregate((a, b) => JinjaValues.Compare(b, a) < 0 ? b : a),
        ["max"] = (v, _, _) => JinjaValues.Iterate(v).DefaultIfEmpty(JinjaUndefined.Instance).Aggregate((a, b) => JinjaValues.Compare(b, a) > 0 ? b : a),
        ["map"] = Map,
        ["select"] = (v, a, k) => SelectBy(v, a, byAttribute: false, keep: true),
        ["reject"] = (v, a, k) => SelectBy(v, a, byAttribute: false, keep: false),
        ["selectattr"] = (v, a, k) => SelectBy(v, a, byAttribute: true, keep: true),
        ["rejectattr"] = (v, a, k) => SelectBy(v, a, byAttribute: true, keep: false),
        ["indent"] = Indent,
        ["safe"] = (v, _, _) => v,
        ["escape"] = (v, _, _) => WebUtility.HtmlEncode(JinjaValues.Str(v)),
        ["e"] = (v, _, _) => WebUtility.HtmlEncode(JinjaValues.Str(v)),
        ["round"] = (v, a, k) => Math.Round(JinjaValues.ToDouble(v), (int)JinjaValues.ToLong(Arg(a, k, 0, "precision", 0L)), MidpointRounding.ToEven),
        ["batch"] = (v, a, k) => JinjaValues.Iterate(v).Chunk((int)JinjaValues.ToLong(Arg(a, k, 0, "linecount"))).Select(c => (object?)c.ToList()).ToList(),
    };

    private static readonly Dictionary<string, Func<object?, IReadOnlyList<object?>, bool>> Tests = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, _) => v is not JinjaUndefined,
        ["undefined"] = (v, _) => v is JinjaUndefined,
        ["none"] = (v, _) => v is null,
        ["string"] = (v, _) => v is string,
        ["number"] = (v, _) => v is long or double,
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["boolean"] = (v, _) => v is bool,
        ["true"] = (v, _) => v is true,
        ["false"] = (v, _) => v is false,
        ["mapping"] = (v, _) => v is Dictionary<string, object?>,
        ["iterable"] = (v, _) => v is string or List<object?> or Dictionary<string, object?>,
        ["sequence"] = (v, _) => v is string or List<object?> or Dictionary<string, object?>,
        ["callable"] = (v, _) => v is JinjaFunction,
        ["even"] = (v, _) => JinjaValues.ToLong(v) % 2 == 0,
        ["odd"] = (v, _) => JinjaValues.ToLong(v) % 2 != 0,
        ["divisibleby"] = (v, a) => JinjaValues.ToLong(v) % JinjaValues.ToLong(a[0]) == 0,
        ["eq"] = (v, a) => JinjaValues.AreEqual(v, a[0]),
        ["equalto"] = (v, a) => JinjaValues.AreEqual(v, a[0]),
        ["=="] = (v, a) => JinjaValues.AreEqual(v, a[0]),
        ["ne"] = (v, a) => !JinjaValues.AreEqual(v, a[0]),
        ["!="] = (v, a) => !JinjaValues.AreEqual(v, a[0]),
        ["lt"] = (v, a) => JinjaValues.Compare(v, a[0]) < 0,
        ["gt"] = (v, a) => JinjaValues.Compare(v, a[0]) > 0,
        ["le"] = (v, a) => JinjaValues.Compare(v, a[0]) <= 0,
        ["ge"] = (v, a) => JinjaValues.Compare(v, a[0]) >= 0,
        ["in"] = (v, a) => JinjaValues.Contains(a[0], v),
        ["sameas"] = (v, a) => (v is null && a[0] is null) || (v is bool b && a[0] is bool c && b == c) || ReferenceEquals(v, a[0]),
        ["lower"] = (v, _) => v is string s && string.Equals(s, s.ToLowerInvariant(), StringComparison.Ordinal),
        ["upper"] = (v, _) => v is string s && string.Equals(s, s.ToUpperInvariant(), StringComparison.Ordinal),
    };

    public static object? ApplyFilter(string name, object? input, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int line)
    {
        if (!Filters.TryGetValue(name, out var filter)) throw new JinjaException($"unknown filter '{name}'", line);
        try
        {
            return filter(input, args, kwargs);
        }
        catch (JinjaException e) when (e.Line is null)
        {
            throw new JinjaException($"filter '{name}': {e.Message}", line);
        }
    }

    public static bool ApplyTest(string name, object? input, IReadOnlyList<object?> args, int line)
    {
        if (!Tests.TryGetValue(name, out var test)) throw new JinjaException($"unknown test '{name}'", line);
        if (name is not ("defined" or "undefined" or "none") && args.Count == 0 && TestNeedsArgument(name))
            throw new JinjaException($"test '{name}' needs an argument", line);
        return test(input, args);
    }

    private static bool TestNeedsArgument(string name) =>
        name is "divisibleby" or "eq" or "equalto" or "==" or "ne" or "!=" or "lt" or "gt" or "le" or "ge" or "in" or "sameas";

    private static object? Default(object? v, IReadOnlyList<object?> a, IReadOnlyDictionary<string, object?> k)
    {
        var fallback = Arg(a, k, 0, "default_value", "");
        var boolean = JinjaValues.IsTrue(Arg(a, k, 1, "boolean", false));
        return v is JinjaUndefined || (boolean && !JinjaValues.IsTrue(v)) ? fallback : v;
    }

    private static object? ToInt(object? v, object? fallback) => v switch
    {
        long or bool => JinjaValues.ToLong(v),
        double d => (long)Math.Truncate(d),
        string s when long.TryParse(s.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var l) => l,
        string s when double.TryParse(s.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var d) => (long)Math.Truncate(d),
        _ => fallback,
    };

    private static object? ToFloat(object? v, object? fallback) => v switch
    {
        long or bool or double => JinjaValues.ToDouble(v),
        string s when double.TryParse(s.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var d) => d,
        _ => fallback,
    };

    private static object? Sort(object? v, IReadOnlyList<object?> a, IReadOnlyDictionary<string, object?> k)
    {
        var reverse = JinjaValues.IsTrue(Arg(a, k, 0, "reverse", false));
        var attribute = Arg(a, k, 2, "attribute");
        object? Key(object? item) => attribute is string attr ? JinjaMembers.GetItem(item, attr) : item;
        var sorted = JinjaValues.Iterate(v).ToList();
        sorted.Sort((x, y) => JinjaValues.Compare(Key(x), Key(y)));
        if (reverse) sorted.Reverse();
        return sorted;
    }

    private static object? Map(object? v, IReadOnlyList<object?> a, IReadOnlyDictionary<string, object?> k)
    {
        var items = JinjaValues.Iterate(v);
        if (k.TryGetValue("attribute", out var attribute))
            return items.Select(item =>
            {
                var value = JinjaMembers.GetItem(item, attribute);
                return value is JinjaUndefined && k.TryGetValue("default", out var fallback) ? fallback : value;
            }).ToList();
        if (a.Count == 0 || a[0] is not string filterName) throw new JinjaException("map needs a filter name or attribute=");
        var rest = a.Skip(1).ToList();
        return items.Select(item => ApplyFilter(filterName, item, rest, new Dictionary<string, object?>(), 0)).ToList();
    }

    private static object? SelectBy(object? v, IReadOnlyList<object?> a, bool byAttribute, bool keep)
    {
        var offset = byAttribute ? 1 : 0;
        var testName = a.Count > offset ? JinjaValues.Str(a[offset]) : null;
        var testArgs = a.Skip(offset + 1).ToList();
        return JinjaValues.Iterate(v).Where(item =>
        {
            var subject = byAttribute ? JinjaMembers.GetItem(item, a[0]) : item;
            var passes = testName is null ? JinjaValues.IsTrue(subject) : ApplyTest(testName, subject, testArgs, 0);
            return passes == keep;
        }).ToList();
    }

    private static object? Indent(object? v, IReadOnlyList<object?> a, IReadOnlyDictionary<string, object?> k)
    {
        var width = Arg(a, k, 0, "width", 4L);
        var pad = width is string s ? s : new string(' ', (int)JinjaValues.ToLong(width));
        var first = JinjaValues.IsTrue(Arg(a, k, 1, "first", false));
        var blank = JinjaValues.IsTrue(Arg(a, k, 2, "blank", false));
        var lines = JinjaValues.Str(v).Split('\n');
        for (var i = 0; i < lines.Length; i++)
            if ((i > 0 || first) && (blank || lines[i].Length > 0)) lines[i] = pad + lines[i];
        return string.Join('\n', lines);
    }
}
