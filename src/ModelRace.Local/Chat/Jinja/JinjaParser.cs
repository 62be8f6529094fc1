using System.Globalization;

namespace ModelRace.Local.Chat.Jinja;

/// <summary>Recursive-descent parser with Jinja2's operator precedence (filters bind tighter than arithmetic).</summary>
internal sealed class JinjaParser
{
    private static readonly HashSet<string> CompareOperators = ["==", "!=", "<", ">", "<=", ">="];
    private readonly List<Token> _tokens;
    private int _index;

    private JinjaParser(List<Token> tokens) => _tokens = tokens;

    public static IReadOnlyList<Node> Parse(string source)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(source));
        var body = parser.ParseBody([]);
        if (parser.Current.Kind != TokenKind.End) throw new JinjaException($"unexpected {parser.Current}", parser.Current.Line);
        return body;
    }

    private Token Current => _tokens[_index];
    private Token Peek(int ahead = 1) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];
    private Token Advance() => _tokens[_index++];

    private Token Expect(TokenKind kind, string? value = null)
    {
        var token = Current;
        if (token.Kind != kind || (value is not null && token.Value != value))
            throw new JinjaException($"expected {(value is null ? kind.ToString() : $"'{value}'")} but found {token}", token.Line);
        return Advance();
    }

    private bool Accept(TokenKind kind, string value)
    {
        if (!Current.Is(kind, value)) return false;
        _index++;
        return true;
    }

    private bool AcceptOperator(string value) => Accept(TokenKind.Operator, value);
    private bool AcceptName(string value) => Accept(TokenKind.Name, value);

    /// <summary>Parses nodes until a block tag whose keyword is in <paramref name="endKeywords"/> (left unconsumed after '{%').</summary>
    private List<Node> ParseBody(HashSet<string> endKeywords)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.End:
                    if (endKeywords.Count > 0) throw new JinjaException($"missing {string.Join(" or ", endKeywords.Select(k => $"'{{% {k} %}}'"))} before the end of the template", token.Line);
                    return nodes;
                case TokenKind.Text:
                    nodes.Add(new TextNode(Advance().Value, token.Line));
                    break;
                case TokenKind.VariableBegin:
                    Advance();
                    nodes.Add(new OutputNode(ParseTuple(true), token.Line));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    if (Peek().Kind == TokenKind.Name && endKeywords.Contains(Peek().Value))
                    {
                        Advance();
                        return nodes;
                    }
                    Advance();
                    if (ParseStatement() is { } node) nodes.Add(node);
                    break;
                default:
                    throw new JinjaException($"unexpected {token}", token.Line);
            }
        }
    }

    private string EndTag(params string[] keywords)
    {
        var body = Expect(TokenKind.Name);
        if (!keywords.Contains(body.Value)) throw new JinjaException($"expected {string.Join(" or ", keywords)} but found '{body.Value}'", body.Line);
        return body.Value;
    }

    private Node? ParseStatement()
    {
        var keyword = Expect(TokenKind.Name);
        var line = keyword.Line;
        switch (keyword.Value)
        {
            case "if": return ParseIf(line);
            case "for": return ParseFor(line);
            case "set": return ParseSet(line);
            case "macro": return ParseMacro(line);
            case "filter":
            {
                var filter = ParseFilter(null);
                Expect(TokenKind.BlockEnd);
                var body = ParseBody(["endfilter"]);
                EndTag("endfilter");
                Expect(TokenKind.BlockEnd);
                return new FilterBlockNode(filter, body, line);
            }
            case "break" or "continue":
                Expect(TokenKind.BlockEnd);
                return new LoopControlNode(keyword.Value == "break", line);
            case "generation":
            {
                // Hugging Face's marker for assistant-generated spans; it changes nothing in the rendered text.
                Expect(TokenKind.BlockEnd);
                var body = ParseBody(["endgeneration"]);
                EndTag("endgeneration");
                Expect(TokenKind.BlockEnd);
                return new IfNode([(new LiteralExpr(true, line), body)], [], line);
            }
            default:
                throw new JinjaException($"unsupported tag '{{% {keyword.Value} %}}' (chat templates use if, for, set, macro, filter, break, continue)", line);
        }
    }

    private IfNode ParseIf(int line)
    {
        var branches = new List<(Expr, IReadOnlyList<Node>)>();
        var test = ParseTuple(false);
        while (true)
        {
            Expect(TokenKind.BlockEnd);
            var body = ParseBody(["elif", "else", "endif"]);
            branches.Add((test, body));
            var tag = EndTag("elif", "else", "endif");
            if (tag == "elif")
            {
                test = ParseTuple(false);
                continue;
            }
            Expect(TokenKind.BlockEnd);
            if (tag == "endif") return new IfNode(branches, [], line);
            var elseBody = ParseBody(["endif"]);
            EndTag("endif");
            Expect(TokenKind.BlockEnd);
            return new IfNode(branches, elseBody, line);
        }
    }

    private ForNode ParseFor(int line)
    {
        var targets = ParseTargets();
        Expect(TokenKind.Name, "in");
        var iterable = ParseTuple(false);
        Expr? filter = AcceptName("if") ? ParseExpression() : null;
        if (AcceptName("recursive")) throw new JinjaException("recursive for loops are not supported", line);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["else", "endfor"]);
        List<Node> elseBody = [];
        if (EndTag("else", "endfor") == "else")
        {
            Expect(TokenKind.BlockEnd);
            elseBody = ParseBody(["endfor"]);
            EndTag("endfor");
        }
        Expect(TokenKind.BlockEnd);
        return new ForNode(targets, iterable, filter, body, elseBody, line);
    }

    private List<string> ParseTargets()
    {
        var parenthesized = AcceptOperator("(");
        var names = new List<string> { Expect(TokenKind.Name).Value };
        while (AcceptOperator(",")) names.Add(Expect(TokenKind.Name).Value);
        if (parenthesized) Expect(TokenKind.Operator, ")");
        return names;
    }

    private Node ParseSet(int line)
    {
        var targets = ParseTargets();
        string? attribute = null;
        if (targets.Count == 1 && AcceptOperator(".")) attribute = Expect(TokenKind.Name).Value;
        if (AcceptOperator("="))
        {
            var value = ParseTuple(true);
            Expect(TokenKind.BlockEnd);
            return new SetNode(targets, attribute, value, line);
        }
        if (targets.Count != 1 || attribute is not null) throw new JinjaException("expected '=' in set", line);
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endset"]);
        EndTag("endset");
        Expect(TokenKind.BlockEnd);
        return new SetBlockNode(targets[0], body, line);
    }

    private MacroNode ParseMacro(int line)
    {
        var name = Expect(TokenKind.Name).Value;
        Expect(TokenKind.Operator, "(");
        var parameters = new List<(string, Expr?)>();
        while (!AcceptOperator(")"))
        {
            if (parameters.Count > 0) Expect(TokenKind.Operator, ",");
            if (AcceptOperator(")")) break;
            var parameter = Expect(TokenKind.Name).Value;
            parameters.Add((parameter, AcceptOperator("=") ? ParseExpression() : null));
        }
        Expect(TokenKind.BlockEnd);
        var body = ParseBody(["endmacro"]);
        EndTag("endmacro");
        Expect(TokenKind.BlockEnd);
        return new MacroNode(name, parameters, body, line);
    }

    // ---- expressions ----

    /// <summary>An expression, or a tuple when commas separate several (a tuple evaluates to a list).</summary>
    private Expr ParseTuple(bool withConditional)
    {
        var line = Current.Line;
        var first = withConditional ? ParseExpression() : ParseOr();
        if (!Current.IsOperator(",")) return first;
        var items = new List<Expr> { first };
        while (AcceptOperator(","))
        {
            if (Current.Kind is TokenKind.BlockEnd or TokenKind.VariableEnd) break;
            items.Add(withConditional ? ParseExpression() : ParseOr());
        }
        return new ListExpr(items, line);
    }

    private Expr ParseExpression()
    {
        var expr = ParseOr();
        while (Current.IsName("if"))
        {
            var line = Advance().Line;
            var test = ParseOr();
            Expr? otherwise = AcceptName("else") ? ParseExpression() : null;
            expr = new ConditionalExpr(test, expr, otherwise, line);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            Advance();
            left = new BinaryExpr("or", left, ParseAnd(), left.Line);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            Advance();
            left = new BinaryExpr("and", left, ParseNot(), left.Line);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (!Current.IsName("not")) return ParseCompare();
        var line = Advance().Line;
        return new UnaryExpr("not", ParseNot(), line);
    }

    private Expr ParseCompare()
    {
        var left = ParseAdditive();
        Expr? chain = null;
        while (true)
        {
            string op;
            if (Current.Kind == TokenKind.Operator && CompareOperators.Contains(Current.Value)) op = Advance().Value;
            else if (Current.IsName("in")) { Advance(); op = "in"; }
            else if (Current.IsName("not") && Peek().IsName("in")) { _index += 2; op = "not in"; }
            else break;
            var right = ParseAdditive();
            var comparison = new BinaryExpr(op, left, right, left.Line);
            chain = chain is null ? comparison : new BinaryExpr("and", chain, comparison, left.Line);
            left = right;
        }
        return chain ?? left;
    }

    private Expr ParseAdditive()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var op = Advance().Value;
            left = new BinaryExpr(op, left, ParseConcat(), left.Line);
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMultiplicative();
        while (AcceptOperator("~")) left = new BinaryExpr("~", left, ParseMultiplicative(), left.Line);
        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParsePower();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var op = Advance().Value;
            left = new BinaryExpr(op, left, ParsePower(), left.Line);
        }
        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary(true);
        while (AcceptOperator("**")) left = new BinaryExpr("**", left, ParseUnary(true), left.Line);
        return left;
    }

    private Expr ParseUnary(bool withFilters)
    {
        Expr node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var token = Advance();
            node = new UnaryExpr(token.Value, ParseUnary(false), token.Line);
        }
        else node = ParsePostfix(ParsePrimary());
        return withFilters ? ParseFilterChain(node) : node;
    }

    private Expr ParseFilterChain(Expr node)
    {
        while (true)
        {
            if (AcceptOperator("|")) node = ParseFilter(node);
            else if (Current.IsName("is")) node = ParseTest(node);
            else if (Current.IsOperator("(")) node = ParseCall(node);
            else return node;
        }
    }

    private FilterExpr ParseFilter(Expr? target)
    {
        var name = Expect(TokenKind.Name);
        if (!Current.IsOperator("(")) return new FilterExpr(target, name.Value, [], [], name.Line);
        var call = (CallExpr)ParseCall(new NameExpr(name.Value, name.Line));
        return new FilterExpr(target, name.Value, call.Args, call.Kwargs, name.Line);
    }

    private TestExpr ParseTest(Expr target)
    {
        var line = Advance().Line;
        var negated = AcceptName("not");
        var name = Expect(TokenKind.Name).Value;
        if (Current.IsOperator("("))
        {
            var call = (CallExpr)ParseCall(new NameExpr(name, line));
            return new TestExpr(target, name, call.Args, negated, line);
        }
        var startsArgument = Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                             || Current.IsOperator("[") || Current.IsOperator("{");
        if (startsArgument && !(Current.Kind == TokenKind.Name && Current.Value is "else" or "or" or "and" or "if" or "not" or "in" or "is"))
            return new TestExpr(target, name, [ParsePostfix(ParsePrimary())], negated, line);
        return new TestExpr(target, name, [], negated, line);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (AcceptOperator("."))
            {
                var member = Advance();
                node = member.Kind switch
                {
                    TokenKind.Name => new AttributeExpr(node, member.Value, member.Line),
                    TokenKind.Integer => new ItemExpr(node, new LiteralExpr(long.Parse(member.Value, CultureInfo.InvariantCulture), member.Line), member.Line),
                    _ => throw new JinjaException($"expected an attribute name after '.' but found {member}", member.Line),
                };
            }
            else if (Current.IsOperator("[")) node = ParseSubscript(node);
            else if (Current.IsOperator("(")) node = ParseCall(node);
            else return node;
        }
    }

    private Expr ParseSubscript(Expr target)
    {
        var line = Expect(TokenKind.Operator, "[").Line;
        Expr? start = Current.IsOperator(":") ? null : ParseExpression();
        if (AcceptOperator("]")) return new ItemExpr(target, start!, line);
        Expect(TokenKind.Operator, ":");
        Expr? stop = Current.IsOperator(":") || Current.IsOperator("]") ? null : ParseExpression();
        Expr? step = null;
        if (AcceptOperator(":") && !Current.IsOperator("]")) step = ParseExpression();
        Expect(TokenKind.Operator, "]");
        return new SliceExpr(target, start, stop, step, line);
    }

    private Expr ParseCall(Expr callee)
    {
        var line = Expect(TokenKind.Operator, "(").Line;
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!AcceptOperator(")"))
        {
            if (args.Count + kwargs.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (AcceptOperator(")")) break;
            }
            if (Current.Kind == TokenKind.Name && Peek().IsOperator("="))
            {
                var name = Advance().Value;
                Advance();
                kwargs.Add((name, ParseExpression()));
            }
            else
            {
                if (kwargs.Count > 0) throw new JinjaException("a positional argument follows a keyword argument", Current.Line);
                args.Add(ParseExpression());
            }
        }
        return new CallExpr(callee, args, kwargs, line);
    }

    private Expr ParsePrimary()
    {
        var token = Advance();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(true, token.Line),
                    "false" or "False" => new LiteralExpr(false, token.Line),
                    "none" or "None" => new LiteralExpr(null, token.Line),
                    _ => new NameExpr(token.Value, token.Line),
                };
            case TokenKind.String:
                var text = token.Value;
                while (Current.Kind == TokenKind.String) text += Advance().Value; // adjacent literals concatenate
                return new LiteralExpr(text, token.Line);
            case TokenKind.Integer:
                return new LiteralExpr(long.Parse(token.Value, CultureInfo.InvariantCulture), token.Line);
            case TokenKind.Float:
                return new LiteralExpr(double.Parse(token.Value, CultureInfo.InvariantCulture), token.Line);
            case TokenKind.Operator when token.Value == "(":
            {
                if (AcceptOperator(")")) return new ListExpr([], token.Line);
                var inner = ParseExpression();
                if (AcceptOperator(")")) return inner;
                var items = new List<Expr> { inner };
                while (AcceptOperator(","))
                {
                    if (Current.IsOperator(")")) break;
                    items.Add(ParseExpression());
                }
                Expect(TokenKind.Operator, ")");
                return new ListExpr(items, token.Line);
            }
            case TokenKind.Operator when token.Value == "[":
            {
                var items = new List<Expr>();
                while (!AcceptOperator("]"))
                {
                    if (items.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (AcceptOperator("]")) break;
                    }
                    items.Add(ParseExpression());
                }
                return new ListExpr(items, token.Line);
            }
            case TokenKind.Operator when token.Value == "{":
            {
                var items = new List<(Expr, Expr)>();
                while (!AcceptOperator("}"))
                {
                    if (items.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (AcceptOperator("}")) break;
                    }
                    var key = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    items.Add((key, ParseExpression()));
                }
                return new DictExpr(items, token.Line);
            }
            default:
                throw new JinjaException($"unexpected {token} in expression", token.Line);
        }
    }
}
