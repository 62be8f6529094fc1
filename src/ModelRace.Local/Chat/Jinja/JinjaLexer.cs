using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelRace.Local.Chat.Jinja;

internal enum TokenKind { Text, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, End }

internal readonly record struct Token(TokenKind Kind, string Value, int Line)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;
    public bool IsName(string value) => Is(TokenKind.Name, value);
    public bool IsOperator(string value) => Is(TokenKind.Operator, value);
    public override string ToString() => Kind switch { TokenKind.End => "end of template", TokenKind.Text => "text", _ => $"'{Value}'" };
}

/// <summary>
/// Splits a template into text and tag tokens. Whitespace is handled as Hugging Face's chat-template environment
/// sets it up (trim_blocks and lstrip_blocks on, one trailing newline dropped), because model authors write their
/// templates against that environment and the rendered prompt must match byte for byte.
/// </summary>
internal sealed partial class JinjaLexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}"];

    private readonly string _source;
    private readonly List<Token> _tokens = [];
    private int _pos;
    private int _line = 1;
    private bool _stripNextText;

    private JinjaLexer(string source)
    {
        source = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        _source = source.EndsWith('\n') ? source[..^1] : source;
    }

    public static List<Token> Tokenize(string source)
    {
        var lexer = new JinjaLexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    private void Run()
    {
        while (_pos < _source.Length)
        {
            var open = FindOpener(_pos);
            if (open < 0)
            {
                EmitText(_source[_pos..], rightStrip: false, lstrip: false, textStart: _pos);
                break;
            }
            var kind = _source[open + 1];
            var modifier = open + 2 < _source.Length ? _source[open + 2] : '\0';
            var isBlockLike = kind != '{';
            EmitText(_source[_pos..open], rightStrip: modifier == '-', lstrip: isBlockLike && modifier != '+', textStart: _pos);
            _pos = open + 2 + (modifier is '-' or '+' ? 1 : 0);
            if (kind == '#') SkipComment();
            else LexTag(kind == '{');
        }
        _tokens.Add(new Token(TokenKind.End, "", _line));
    }

    private int FindOpener(int from)
    {
        for (var i = _source.IndexOf('{', from); i >= 0 && i + 1 < _source.Length; i = _source.IndexOf('{', i + 1))
            if (_source[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    private void EmitText(string text, bool rightStrip, bool lstrip, int textStart)
    {
        if (_stripNextText) text = text.TrimStart();
        _stripNextText = false;
        if (rightStrip) text = text.TrimEnd();
        else if (lstrip)
        {
            // lstrip_blocks: drop spaces and tabs between the start of the line and a block tag.
            var lineStart = text.LastIndexOf('\n') + 1;
            var lineStarting = textStart == 0 || _source[textStart - 1] == '\n';
            if ((lineStart > 0 || lineStarting) && text.AsSpan(lineStart).Trim(" \t").IsEmpty) text = text[..lineStart];
        }
        if (text.Length > 0) _tokens.Add(new Token(TokenKind.Text, text, _line));
        _line += text.Count(c => c == '\n');
    }

    private void SkipComment()
    {
        var close = _source.IndexOf("#}", _pos, StringComparison.Ordinal);
        if (close < 0) throw new JinjaException("unclosed comment: '{#' has no matching '#}'", _line);
        var modifier = _source[close - 1];
        _line += _source.AsSpan(_pos, close - _pos).Count('\n');
        _pos = close + 2;
        AfterTagClose(modifier, isBlock: true);
    }

    private void AfterTagClose(char modifier, bool isBlock)
    {
        if (modifier == '-') _stripNextText = true;
        else if (isBlock && modifier != '+' && _pos < _source.Length && _source[_pos] == '\n')
        {
            _pos++; // trim_blocks: the newline right after a block tag is not output
            _line++;
        }
    }

    private void LexTag(bool isVariable)
    {
        var begin = _tokens.Count;
        _tokens.Add(new Token(isVariable ? TokenKind.VariableBegin : TokenKind.BlockBegin, isVariable ? "{{" : "{%", _line));
        var depth = 0;
        var closer = isVariable ? "}}" : "%}";
        while (true)
        {
            SkipWhitespace();
            if (_pos >= _source.Length) throw new JinjaException($"unclosed tag: expected '{closer}'", _line);
            if (depth == 0)
            {
                foreach (var modifier in new[] { "-", "+", "" })
                {
                    if (!_source.AsSpan(_pos).StartsWith(modifier + closer, StringComparison.Ordinal)) continue;
                    _pos += modifier.Length + 2;
                    _tokens.Add(new Token(isVariable ? TokenKind.VariableEnd : TokenKind.BlockEnd, closer, _line));
                    AfterTagClose(modifier.Length > 0 ? modifier[0] : '\0', !isVariable);
                    if (!isVariable && _tokens.Count - begin == 3 && _tokens[begin + 1].IsName("raw")) LexRaw(begin);
                    return;
                }
            }
            var c = _source[_pos];
            if (char.IsLetter(c) || c == '_') LexName();
            else if (char.IsDigit(c)) LexNumber();
            else if (c is '\'' or '"') LexString(c);
            else
            {
                var op = Operators.FirstOrDefault(o => _source.AsSpan(_pos).StartsWith(o, StringComparison.Ordinal))
                         ?? throw new JinjaException($"unexpected character '{c}' in tag", _line);
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}") depth--;
                _tokens.Add(new Token(TokenKind.Operator, op, _line));
                _pos += op.Length;
            }
        }
    }

    [GeneratedRegex(@"\{%([-+]?)\s*endraw\s*([-+]?)%\}")]
    private static partial Regex EndRawPattern();

    private void LexRaw(int begin)
    {
        _tokens.RemoveRange(begin, _tokens.Count - begin);
        var match = EndRawPattern().Match(_source, _pos);
        if (!match.Success) throw new JinjaException("'raw' block has no matching 'endraw'", _line);
        var text = _source[_pos..match.Index];
        if (match.Groups[1].Value == "-") text = text.TrimEnd();
        _pos = match.Index + match.Length;
        EmitText(text, rightStrip: false, lstrip: false, textStart: 1);
        AfterTagClose(match.Groups[2].Value is { Length: 1 } m ? m[0] : '\0', isBlock: true);
    }

    private void SkipWhitespace()
    {
        while (_pos < _source.Length && char.IsWhiteSpace(_source[_pos]))
        {
            if (_source[_pos] == '\n') _line++;
            _pos++;
        }
    }

    private void LexName()
    {
        var start = _pos;
        while (_pos < _source.Length && (char.IsLetterOrDigit(_source[_pos]) || _source[_pos] == '_')) _pos++;
        _tokens.Add(new Token(TokenKind.Name, _source[start.._pos], _line));
    }

    private void LexNumber()
    {
        var start = _pos;
        while (_pos < _source.Length && (char.IsDigit(_source[_pos]) || _source[_pos] == '_')) _pos++;
        var isFloat = false;
        if (_pos + 1 < _source.Length && _source[_pos] == '.' && char.IsDigit(_source[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _source.Length && char.IsDigit(_source[_pos])) _pos++;
        }
        if (_pos < _source.Length && _source[_pos] is 'e' or 'E')
        {
            isFloat = true;
            _pos++;
            if (_pos < _source.Length && _source[_pos] is '+' or '-') _pos++;
            while (_pos < _source.Length && char.IsDigit(_source[_pos])) _pos++;
        }
        var text = _source[start.._pos].Replace("_", "", StringComparison.Ordinal);
        _tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text, _line));
    }

    private void LexString(char quote)
    {
        var startLine = _line;
        var builder = new StringBuilder();
        _pos++;
        while (true)
        {
            if (_pos >= _source.Length) throw new JinjaException("unterminated string literal", startLine);
            var c = _source[_pos++];
            if (c == quote) break;
            if (c == '\n') _line++;
            if (c != '\\' || _pos >= _source.Length)
            {
                builder.Append(c);
                continue;
            }
            var e = _source[_pos++];
            switch (e)
            {
                case 'n': builder.Append('\n'); break;
                case 't': builder.Append('\t'); break;
                case 'r': builder.Append('\r'); break;
                case '0': builder.Append('\0'); break;
                case 'a': builder.Append('\a'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'v': builder.Append('\v'); break;
                case '\\' or '\'' or '"': builder.Append(e); break;
                case '\n': _line++; break; // a backslash before a line break continues the line
                case 'x': builder.Append(ReadHexEscape(2)); break;
                case 'u': builder.Append(ReadHexEscape(4)); break;
                case 'U': builder.Append(ReadHexEscape(8)); break;
                default: builder.Append('\\').Append(e); break; // Python keeps unknown escapes as written
            }
        }
        _tokens.Add(new Token(TokenKind.String, builder.ToString(), startLine));
    }

    private string ReadHexEscape(int digits)
    {
        if (_pos + digits > _source.Length || !int.TryParse(_source.AsSpan(_pos, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
            throw new JinjaException($"bad \\x/\\u escape in string literal: expected {digits} hex digits", _line);
        _pos += digits;
        return char.ConvertFromUtf32(code);
    }
}
