using System.Globalization;
using System.Text;

namespace ModelRace.Local.Chat.Jinja;

/// <summary>
/// A parsed Jinja2 template, limited to the language chat templates are written in: if/for/set/macro, filters,
/// tests, Python string methods and namespace(). Parse once, render many times; rendering is thread-safe.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly IReadOnlyList<Node> _body;

    private JinjaTemplate(IReadOnlyList<Node> body) => _body = body;

    /// <exception cref="JinjaException">The template has a syntax error or uses an unsupported tag.</exception>
    public static JinjaTemplate Parse(string source) => new(JinjaParser.Parse(source));

    /// <summary>Renders with the given variables (host values are converted: JSON, dictionaries and lists are fine).</summary>
    /// <param name="clock">The clock behind strftime_now(), which some templates use for today's date.</param>
    public string Render(IReadOnlyDictionary<string, object?> variables, TimeProvider? clock = null)
    {
        var globals = Globals(clock ?? TimeProvider.System);
        foreach (var (name, value) in variables) globals[name] = JinjaValues.FromHost(value);
        var output = new StringBuilder();
        new Renderer([globals]).Execute(_body, output);
        return output.ToString();
    }

    private static Dictionary<string, object?> Globals(TimeProvider clock) => new(StringComparer.Ordinal)
    {
        ["raise_exception"] = new JinjaFunction("raise_exception", (args, _) =>
            throw new JinjaRaisedException(args.Count > 0 ? JinjaValues.Str(args[0]) : "the template raised an error")),
        ["namespace"] = new JinjaFunction("namespace", (args, kwargs) =>
        {
            var ns = new JinjaNamespace();
            foreach (var arg in args)
                if (arg is Dictionary<string, object?> initial) foreach (var (k, v) in initial) ns.Attributes[k] = v;
            foreach (var (k, v) in kwargs) ns.Attributes[k] = v;
            return ns;
        }),
        ["range"] = new JinjaFunction("range", (args, _) => Range(args)),
        ["dict"] = new JinjaFunction("dict", (args, kwargs) =>
        {
            var dict = args.Count > 0 && args[0] is Dictionary<string, object?> d ? new Dictionary<string, object?>(d, StringComparer.Ordinal) : new(StringComparer.Ordinal);
            foreach (var (k, v) in kwargs) dict[k] = v;
            return dict;
        }),
        ["strftime_now"] = new JinjaFunction("strftime_now", (args, _) => PythonStrftime(clock.GetLocalNow(), args.Count > 0 ? JinjaValues.Str(args[0]) : "%Y-%m-%d")),
    };

    private static List<object?> Range(IReadOnlyList<object?> args)
    {
        var numbers = args.Select(JinjaValues.ToLong).ToArray();
        var (start, stop, step) = numbers.Length switch
        {
            1 => (0L, numbers[0], 1L),
            2 => (numbers[0], numbers[1], 1L),
            3 => (numbers[0], numbers[1], numbers[2]),
            _ => throw new JinjaException("range expects 1 to 3 arguments"),
        };
        if (step == 0) throw new JinjaException("range step must not be zero");
        var result = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (result.Count >= 100_000) throw new JinjaException("range is too long for a template (over 100000 items)");
            result.Add(i);
        }
        return result;
    }

    internal static string PythonStrftime(DateTimeOffset time, string format)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                builder.Append(format[i]);
                continue;
            }
            var code = format[++i];
            builder.Append(code switch
            {
                'd' => time.ToString("dd", CultureInfo.InvariantCulture),
                'm' => time.ToString("MM", CultureInfo.InvariantCulture),
                'Y' => time.ToString("yyyy", CultureInfo.InvariantCulture),
                'y' => time.ToString("yy", CultureInfo.InvariantCulture),
                'b' => time.ToString("MMM", CultureInfo.InvariantCulture),
                'B' => time.ToString("MMMM", CultureInfo.InvariantCulture),
                'a' => time.ToString("ddd", CultureInfo.InvariantCulture),
                'A' => time.ToString("dddd", CultureInfo.InvariantCulture),
                'H' => time.ToString("HH", CultureInfo.InvariantCulture),
                'I' => time.ToString("hh", CultureInfo.InvariantCulture),
                'M' => time.ToString("mm", CultureInfo.InvariantCulture),
                'S' => time.ToString("ss", CultureInfo.InvariantCulture),
                'p' => time.ToString("tt", CultureInfo.InvariantCulture),
                'j' => time.DayOfYear.ToString("000", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => "%" + code,
            });
        }
        return builder.ToString();
    }

    private enum Flow { Normal, Break, Continue }

    private sealed class Renderer(List<Dictionary<string, object?>> scopes)
    {
        public Flow Execute(IReadOnlyList<Node> nodes, StringBuilder output)
        {
            foreach (var node in nodes)
            {
                Flow flow;
                try
                {
                    flow = ExecuteNode(node, output);
                }
                catch (JinjaException e) when (e.Line is null && e is not JinjaRaisedException)
                {
                    throw new JinjaException(e.Message, node.Line);
                }
                if (flow != Flow.Normal) return flow;
            }
            return Flow.Normal;
        }

        private Flow ExecuteNode(Node node, StringBuilder output)
        {
            switch (node)
            {
                case TextNode text:
                    output.Append(text.Text);
                    return Flow.Normal;
                case OutputNode o:
                    output.Append(JinjaValues.Str(Evaluate(o.Value)));
                    return Flow.Normal;
                case IfNode ifNode:
                    foreach (var (test, body) in ifNode.Branches)
                        if (JinjaValues.IsTrue(Evaluate(test))) return Execute(body, output);
                    return Execute(ifNode.Else, output);
                case ForNode forNode:
                    ExecuteFor(forNode, output);
                    return Flow.Normal;
                case SetNode set:
                    Assign(set, Evaluate(set.Value));
                    return Flow.Normal;
                case SetBlockNode setBlock:
                {
                    var captured = new StringBuilder();
                    Execute(setBlock.Body, captured);
                    scopes[^1][setBlock.Target] = captured.ToString();
                    return Flow.Normal;
                }
                case MacroNode macro:
                    scopes[^1][macro.Name] = DefineMacro(macro);
                    return Flow.Normal;
                case FilterBlockNode filterBlock:
                {
                    var captured = new StringBuilder();
                    Execute(filterBlock.Body, captured);
                    output.Append(JinjaValues.Str(ApplyFilter(filterBlock.Filter, captured.ToString())));
                    return Flow.Normal;
                }
                case LoopControlNode control:
                    return control.IsBreak ? Flow.Break : Flow.Continue;
                default:
                    throw new JinjaException($"cannot execute {node.GetType().Name}", node.Line);
            }
        }

        private void Assign(SetNode set, object? value)
        {
            if (set.Attribute is { } attribute)
            {
                if (Lookup(set.Targets[0]) is not JinjaNamespace ns)
                    throw new JinjaException($"'{set.Targets[0]}' is not a namespace(); only namespace attributes can be set", set.Line);
                ns.Attributes[attribute] = value;
                return;
            }
            Bind(scopes[^1], set.Targets, value, set.Line);
        }

        private static void Bind(Dictionary<string, object?> scope, IReadOnlyList<string> targets, object? value, int line)
        {
            if (targets.Count == 1)
            {
                scope[targets[0]] = value;
                return;
            }
            var items = JinjaValues.Iterate(value);
            if (items.Count != targets.Count)
                throw new JinjaException($"cannot unpack {items.Count} values into {targets.Count} names", line);
            for (var i = 0; i < targets.Count; i++) scope[targets[i]] = items[i];
        }

        private void ExecuteFor(ForNode node, StringBuilder output)
        {
            var items = JinjaValues.Iterate(Evaluate(node.Iterable));
            if (node.Filter is not null)
            {
                items = items.Where(item =>
                {
                    var scope = new Dictionary<string, object?>(StringComparer.Ordinal);
                    Bind(scope, node.Targets, item, node.Line);
                    scopes.Add(scope);
                    try { return JinjaValues.IsTrue(Evaluate(node.Filter)); }
                    finally { scopes.RemoveAt(scopes.Count - 1); }
                }).ToList();
            }
            if (items.Count == 0)
            {
                Execute(node.Else, output);
                return;
            }
            for (var i = 0; i < items.Count; i++)
            {
                var scope = new Dictionary<string, object?>(StringComparer.Ordinal) { ["loop"] = LoopVariable(items, i) };
                Bind(scope, node.Targets, items[i], node.Line);
                scopes.Add(scope);
                Flow flow;
                try { flow = Execute(node.Body, output); }
                finally { scopes.RemoveAt(scopes.Count - 1); }
                if (flow == Flow.Break) break;
            }
        }

        private static Dictionary<string, object?> LoopVariable(List<object?> items, int i) => new(StringComparer.Ordinal)
        {
            ["index"] = (long)i + 1,
            ["index0"] = (long)i,
            ["revindex"] = (long)(items.Count - i),
            ["revindex0"] = (long)(items.Count - i - 1),
            ["first"] = i == 0,
            ["last"] = i == items.Count - 1,
            ["length"] = (long)items.Count,
            ["depth"] = 1L,
            ["depth0"] = 0L,
            ["previtem"] = i > 0 ? items[i - 1] : JinjaUndefined.Instance,
            ["nextitem"] = i + 1 < items.Count ? items[i + 1] : JinjaUndefined.Instance,
            ["cycle"] = new JinjaFunction("cycle", (args, _) => args.Count == 0 ? throw new JinjaException("loop.cycle needs at least one value") : args[i % args.Count]),
        };

        private JinjaFunction DefineMacro(MacroNode macro)
        {
            var captured = scopes.ToList();
            return new JinjaFunction(macro.Name, (args, kwargs) =>
            {
                if (args.Count > macro.Parameters.Count) throw new JinjaException($"macro '{macro.Name}' takes {macro.Parameters.Count} arguments, got {args.Count}", macro.Line);
                var local = new Dictionary<string, object?>(StringComparer.Ordinal);
                var inner = new Renderer([.. captured, local]);
                for (var i = 0; i < macro.Parameters.Count; i++)
                {
                    var (name, fallback) = macro.Parameters[i];
                    local[name] = i < args.Count ? args[i]
                        : kwargs.TryGetValue(name, out var named) ? named
                        : fallback is not null ? inner.Evaluate(fallback) : JinjaUndefined.Instance;
                }
                var output = new StringBuilder();
                inner.Execute(macro.Body, output);
                return output.ToString();
            });
        }

        private object? Lookup(string name)
        {
            for (var i = scopes.Count - 1; i >= 0; i--)
                if (scopes[i].TryGetValue(name, out var value)) return value;
            return JinjaUndefined.Instance;
        }

        public object? Evaluate(Expr expr)
        {
            switch (expr)
            {
                case LiteralExpr literal: return literal.Value;
                case NameExpr name: return Lookup(name.Name);
                case ListExpr list: return list.Items.Select(Evaluate).ToList();
                case DictExpr dict:
                    var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var (key, value) in dict.Items) result[JinjaValues.Str(Evaluate(key))] = Evaluate(value);
                    return result;
                case AttributeExpr attribute: return JinjaMembers.GetAttribute(Evaluate(attribute.Target), attribute.Name);
                case ItemExpr item: return JinjaMembers.GetItem(Evaluate(item.Target), Evaluate(item.Index));
                case SliceExpr slice:
                    return JinjaMembers.Slice(Evaluate(slice.Target), EvaluateOptional(slice.Start), EvaluateOptional(slice.Stop), EvaluateOptional(slice.Step));
                case CallExpr call: return EvaluateCall(call);
                case FilterExpr filter: return ApplyFilter(filter, Evaluate(filter.Target!));
                case TestExpr test:
                    var passed = JinjaBuiltins.ApplyTest(test.Name, Evaluate(test.Target), test.Args.Select(Evaluate).ToList(), test.Line);
                    return passed != test.Negated;
                case UnaryExpr unary: return JinjaOperators.Unary(unary.Operator, Evaluate(unary.Operand));
                case BinaryExpr { Operator: "and" } and:
                {
                    var left = Evaluate(and.Left);
                    return JinjaValues.IsTrue(left) ? Evaluate(and.Right) : left;
                }
                case BinaryExpr { Operator: "or" } or:
                {
                    var left = Evaluate(or.Left);
                    return JinjaValues.IsTrue(left) ? left : Evaluate(or.Right);
                }
                case BinaryExpr binary: return JinjaOperators.Binary(binary.Operator, Evaluate(binary.Left), Evaluate(binary.Right));
                case ConditionalExpr conditional:
                    return JinjaValues.IsTrue(Evaluate(conditional.Test)) ? Evaluate(conditional.Then)
                        : conditional.Else is null ? JinjaUndefined.Instance : Evaluate(conditional.Else);
                default:
                    throw new JinjaException($"cannot evaluate {expr.GetType().Name}", expr.Line);
            }
        }

        private object? EvaluateOptional(Expr? expr) => expr is null ? null : Evaluate(expr);

        private object? EvaluateCall(CallExpr call)
        {
            var callee = Evaluate(call.Callee);
            if (callee is not JinjaFunction function)
            {
                var what = call.Callee switch { NameExpr n => n.Name, AttributeExpr a => a.Name, _ => "expression" };
                throw new JinjaException(callee is JinjaUndefined ? $"'{what}' is undefined and cannot be called" : $"'{what}' ({JinjaValues.TypeName(callee)}) is not callable", call.Line);
            }
            return function.Invoke(call.Args.Select(Evaluate).ToList(), call.Kwargs.ToDictionary(k => k.Name, k => Evaluate(k.Value), StringComparer.Ordinal));
        }

        private object? ApplyFilter(FilterExpr filter, object? input) =>
            JinjaBuiltins.ApplyFilter(filter.Name, input, filter.Args.Select(Evaluate).ToList(),
                filter.Kwargs.ToDictionary(k => k.Name, k => Evaluate(k.Value), StringComparer.Ordinal), filter.Line);
    }
}
