using System.Globalization;
using System.Text;

namespace ModelRace.Local.Chat.Jinja;

/// <summary>Attribute, item and slice access, and the Python string and dict methods templates call.</summary>
internal static class JinjaMembers
{
    private static readonly char[] PythonWhitespace = [' ', '\t', '\n', '\r', '\v', '\f'];
    private static readonly System.Buffers.SearchValues<char> PythonWhitespaceSearch = System.Buffers.SearchValues.Create(PythonWhitespace);

    public static object? GetAttribute(object? target, string name) => target switch
    {
        Dictionary<string, object?> dict when name is "items" or "keys" or "values" or "get" => DictMethod(dict, name),
        Dictionary<string, object?> dict => dict.TryGetValue(name, out var value) ? value : JinjaUndefined.Instance,
        JinjaNamespace ns => ns.Attributes.TryGetValue(name, out var value) ? value : JinjaUndefined.Instance,
        string s => StringMethod(s, name) ?? (object)JinjaUndefined.Instance,
        _ => JinjaUndefined.Instance,
    };

    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case Dictionary<string, object?> dict:
                return dict.TryGetValue(key as string ?? JinjaValues.Str(key), out var value) ? value : JinjaUndefined.Instance;
            case List<object?> list when key is long or bool:
            {
                var index = JinjaValues.ToLong(key);
                if (index < 0) index += list.Count;
                return index >= 0 && index < list.Count ? list[(int)index] : JinjaUndefined.Instance;
            }
            case string s when key is long or bool:
            {
                var index = JinjaValues.ToLong(key);
                if (index < 0) index += s.Length;
                return index >= 0 && index < s.Length ? s[(int)index].ToString() : JinjaUndefined.Instance;
            }
            default:
                return key is string name ? GetAttribute(target, name) : JinjaUndefined.Instance;
        }
    }

    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        var length = target switch
        {
            List<object?> list => list.Count,
            string s => s.Length,
            _ => throw new JinjaException($"'{JinjaValues.TypeName(target)}' object cannot be sliced"),
        };
        var stepValue = step is null or JinjaUndefined ? 1 : (int)JinjaValues.ToLong(step);
        if (stepValue == 0) throw new JinjaException("slice step cannot be zero");
        int Bound(object? value, int fallback)
        {
            if (value is null or JinjaUndefined) return fallback;
            var index = (int)JinjaValues.ToLong(value);
            if (index < 0) index += length;
            return stepValue > 0 ? Math.Clamp(index, 0, length) : Math.Clamp(index, -1, length - 1);
        }
        var from = Bound(start, stepValue > 0 ? 0 : length - 1);
        var to = Bound(stop, stepValue > 0 ? length : -1);
        var indices = new List<int>();
        for (var i = from; stepValue > 0 ? i < to : i > to; i += stepValue) indices.Add(i);
        return target is string text
            ? string.Concat(indices.Select(i => text[i]))
            : indices.Select(i => ((List<object?>)target!)[i]).ToList();
    }

    private static JinjaFunction DictMethod(Dictionary<string, object?> dict, string name) => new(name, (args, _) => name switch
    {
        "items" => dict.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList(),
        "keys" => dict.Keys.Cast<object?>().ToList(),
        "values" => dict.Values.ToList(),
        _ => dict.TryGetValue(JinjaValues.Str(Arg(args, 0)), out var value) ? value : args.Count > 1 ? args[1] : null,
    });

    private static object? Arg(IReadOnlyList<object?> args, int index) => index < args.Count ? args[index] : JinjaUndefined.Instance;

    private static string? OptionalString(IReadOnlyList<object?> args, int index) => Arg(args, index) switch
    {
        null or JinjaUndefined => null,
        var value => JinjaValues.Str(value),
    };

    private static JinjaFunction? StringMethod(string s, string name) => name switch
    {
        "strip" => new(name, (a, _) => OptionalString(a, 0) is { } chars ? s.Trim(chars.ToCharArray()) : s.Trim(PythonWhitespace)),
        "lstrip" => new(name, (a, _) => OptionalString(a, 0) is { } chars ? s.TrimStart(chars.ToCharArray()) : s.TrimStart(PythonWhitespace)),
        "rstrip" => new(name, (a, _) => OptionalString(a, 0) is { } chars ? s.TrimEnd(chars.ToCharArray()) : s.TrimEnd(PythonWhitespace)),
        "startswith" => new(name, (a, _) => Affixes(Arg(a, 0)).Any(p => s.StartsWith(p, StringComparison.Ordinal))),
        "endswith" => new(name, (a, _) => Affixes(Arg(a, 0)).Any(p => s.EndsWith(p, StringComparison.Ordinal))),
        "split" => new(name, (a, kw) => Split(s, OptionalString(a, 0) ?? (kw.TryGetValue("sep", out var sep) && sep is string t ? t : null),
            a.Count > 1 ? (int)JinjaValues.ToLong(a[1]) : kw.TryGetValue("maxsplit", out var m) ? (int)JinjaValues.ToLong(m) : -1)),
        "splitlines" => new(name, (_, _) => SplitLines(s)),
        "upper" => new(name, (_, _) => s.ToUpperInvariant()),
        "lower" => new(name, (_, _) => s.ToLowerInvariant()),
        "title" => new(name, (_, _) => Title(s)),
        "capitalize" => new(name, (_, _) => Capitalize(s)),
        "replace" => new(name, (a, _) => Replace(s, JinjaValues.Str(Arg(a, 0)), JinjaValues.Str(Arg(a, 1)), a.Count > 2 ? (int)JinjaValues.ToLong(a[2]) : -1)),
        "find" => new(name, (a, _) => (long)s.IndexOf(JinjaValues.Str(Arg(a, 0)), StringComparison.Ordinal)),
        "count" => new(name, (a, _) => CountOccurrences(s, JinjaValues.Str(Arg(a, 0)))),
        "join" => new(name, (a, _) => string.Join(s, JinjaValues.Iterate(Arg(a, 0)).Select(JinjaValues.Str))),
        "isdigit" => new(name, (_, _) => s.Length > 0 && s.All(char.IsDigit)),
        "isspace" => new(name, (_, _) => s.Length > 0 && s.All(char.IsWhiteSpace)),
        "format" => new(name, (a, kw) => Format(s, a, kw)),
        _ => null,
    };

    private static List<object?> SplitLines(string s)
    {
        var lines = s.Split('\n').Select(l => (object?)l.TrimEnd('\r')).ToList();
        if (s.EndsWith('\n')) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    private static IEnumerable<string> Affixes(object? value) =>
        value is List<object?> options ? options.Select(JinjaValues.Str) : [JinjaValues.Str(value)];

    /// <summary>Python's str.split: no separator splits on runs of whitespace and drops empty pieces.</summary>
    public static List<object?> Split(string s, string? separator, int maxSplit)
    {
        if (separator is null)
        {
            var pieces = new List<object?>();
            var rest = s.TrimStart(PythonWhitespace);
            while (rest.Length > 0)
            {
                if (maxSplit >= 0 && pieces.Count == maxSplit)
                {
                    pieces.Add(rest);
                    break;
                }
                var end = rest.AsSpan().IndexOfAny(PythonWhitespaceSearch);
                if (end < 0) { pieces.Add(rest); break; }
                pieces.Add(rest[..end]);
                rest = rest[end..].TrimStart(PythonWhitespace);
            }
            return pieces;
        }
        if (separator.Length == 0) throw new JinjaException("split: empty separator");
        var parts = maxSplit >= 0 ? s.Split(separator, maxSplit + 1) : s.Split(separator);
        return parts.Cast<object?>().ToList();
    }

    private static string Replace(string s, string old, string replacement, int count)
    {
        if (count < 0) return old.Length == 0 ? s : s.Replace(old, replacement, StringComparison.Ordinal);
        var builder = new StringBuilder();
        var position = 0;
        for (var done = 0; done < count; done++)
        {
            var next = s.IndexOf(old, position, StringComparison.Ordinal);
            if (next < 0 || old.Length == 0) break;
            builder.Append(s, position, next - position).Append(replacement);
            position = next + old.Length;
        }
        return builder.Append(s, position, s.Length - position).ToString();
    }

    private static long CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        long count = 0;
        for (var i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Title(string s)
    {
        var builder = new StringBuilder(s.Length);
        var previousIsLetter = false;
        foreach (var c in s)
        {
            builder.Append(previousIsLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousIsLetter = char.IsLetter(c);
        }
        return builder.ToString();
    }

    private static string Format(string s, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var builder = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '{' && i + 1 < s.Length && s[i + 1] == '{') { builder.Append('{'); i++; continue; }
            if (s[i] == '}' && i + 1 < s.Length && s[i + 1] == '}') { builder.Append('}'); i++; continue; }
            if (s[i] != '{') { builder.Append(s[i]); continue; }
            var close = s.IndexOf('}', i);
            if (close < 0) throw new JinjaException("format: single '{' in format string");
            var field = s[(i + 1)..close];
            object? value = field.Length == 0 ? Arg(args, auto++)
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Arg(args, n)
                : kwargs.TryGetValue(field, out var named) ? named : throw new JinjaException($"format: no argument named '{field}'");
            builder.Append(JinjaValues.Str(value));
            i = close;
        }
        return builder.ToString();
    }
}
