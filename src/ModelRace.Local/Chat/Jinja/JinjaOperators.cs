namespace ModelRace.Local.Chat.Jinja;

/// <summary>Arithmetic, concatenation and comparison with Python's rules (int stays int, '/' gives a float).</summary>
internal static class JinjaOperators
{
    public static object? Binary(string op, object? left, object? right) => op switch
    {
        "~" => JinjaValues.Str(left) + JinjaValues.Str(right),
        "+" => Add(left, right),
        "*" when left is string or List<object?> || right is string or List<object?> => Repeat(left, right),
        "-" or "*" or "/" or "//" or "%" or "**" => Arithmetic(op, left, right),
        "==" => JinjaValues.AreEqual(left, right),
        "!=" => !JinjaValues.AreEqual(left, right),
        "<" => JinjaValues.Compare(left, right) < 0,
        ">" => JinjaValues.Compare(left, right) > 0,
        "<=" => JinjaValues.Compare(left, right) <= 0,
        ">=" => JinjaValues.Compare(left, right) >= 0,
        "in" => JinjaValues.Contains(right, left),
        "not in" => !JinjaValues.Contains(right, left),
        _ => throw new JinjaException($"unknown operator '{op}'"),
    };

    private static object? Add(object? left, object? right) => (left, right) switch
    {
        (string a, string b) => a + b,
        (List<object?> a, List<object?> b) => a.Concat(b).ToList(),
        _ when JinjaValues.IsNumber(left) && JinjaValues.IsNumber(right) => Arithmetic("+", left, right),
        _ => throw new JinjaException($"cannot add {JinjaValues.TypeName(left)} and {JinjaValues.TypeName(right)} with '+' (use '~' to join as text)"),
    };

    private static object? Repeat(object? left, object? right)
    {
        var (sequence, count) = left is string or List<object?> ? (left, JinjaValues.ToLong(right)) : (right, JinjaValues.ToLong(left));
        return sequence is string s
            ? string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, count)))
            : Enumerable.Repeat((List<object?>)sequence!, (int)Math.Max(0, count)).SelectMany(x => x).ToList();
    }

    private static object? Arithmetic(string op, object? left, object? right)
    {
        if (!JinjaValues.IsNumber(left) || !JinjaValues.IsNumber(right))
            throw new JinjaException($"unsupported operand types for {op}: {JinjaValues.TypeName(left)} and {JinjaValues.TypeName(right)}");
        if (left is not double && right is not double && op != "/")
        {
            long a = JinjaValues.ToLong(left), b = JinjaValues.ToLong(right);
            if (b == 0 && op is "//" or "%") throw new JinjaException("integer division or modulo by zero");
            return op switch
            {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                "//" => FloorDiv(a, b),
                "%" => a - FloorDiv(a, b) * b,
                _ => b >= 0 ? (object)(long)Math.Pow(a, b) : Math.Pow(a, b),
            };
        }
        double x = JinjaValues.ToDouble(left), y = JinjaValues.ToDouble(right);
        if (y == 0 && op is "/" or "//" or "%") throw new JinjaException("division by zero");
        return op switch
        {
            "+" => x + y,
            "-" => x - y,
            "*" => x * y,
            "/" => x / y,
            "//" => Math.Floor(x / y),
            "%" => x - Math.Floor(x / y) * y,
            _ => Math.Pow(x, y),
        };
    }

    private static long FloorDiv(long a, long b) => a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);

    public static object? Unary(string op, object? operand) => op switch
    {
        "not" => !JinjaValues.IsTrue(operand),
        "-" => operand is double d ? -d : (object)-JinjaValues.ToLong(operand),
        "+" => operand is double ? operand : JinjaValues.ToLong(operand),
        _ => throw new JinjaException($"unknown operator '{op}'"),
    };
}
