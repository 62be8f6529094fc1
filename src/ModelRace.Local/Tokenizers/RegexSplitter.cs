using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelRace.Local.Tokenizers;

/// <summary>
/// Splits text into words the way llama.cpp's unicode_regex_split does. Each pattern refines the pieces left by the
/// previous one: matches and the gaps between them both become pieces, and a pattern sees one piece at a time (so
/// lookaheads and $ stop at the piece's end).
/// <para>
/// Patterns that use \p{..} run, as in llama.cpp, on a "collapsed" text with one character per code point: ASCII
/// stays, any other code point becomes a marker for its category (letter, number, ...), and \p{L} becomes
/// [marker A-Za-z]. This keeps llama.cpp's category table semantics, including for characters outside the BMP.
/// Other patterns run on the text itself, with non-ASCII whitespace turned into \v as llama.cpp does.
/// </para>
/// </summary>
internal sealed class RegexSplitter
{
    private const char NumberMarker = '\uE0D1', LetterMarker = '\uE0D2', PunctuationMarker = '\uE0D3',
        MarkMarker = '\uE0D4', SymbolMarker = '\uE0D5', OtherMarker = '\uE0D0';

    private static readonly Dictionary<string, (char Marker, string Ascii)> Categories = new(StringComparer.Ordinal)
    {
        ["\\p{N}"] = (NumberMarker, "0-9"),
        ["\\p{L}"] = (LetterMarker, "A-Za-z"),
        ["\\p{P}"] = (PunctuationMarker, @"!-#%-*,-/:-;?-@\[-\]_\{\}"),
        ["\\p{M}"] = (MarkMarker, ""),
        ["\\p{S}"] = (SymbolMarker, @"\$\+<->\^`\|~"),
        ["\\p{Lu}"] = (LetterMarker, "A-Za-z"), ["\\p{Ll}"] = (LetterMarker, "A-Za-z"), ["\\p{Lt}"] = (LetterMarker, "A-Za-z"),
        ["\\p{Lm}"] = (LetterMarker, "A-Za-z"), ["\\p{Lo}"] = (LetterMarker, "A-Za-z"),
    };

    private readonly (Regex Regex, bool Collapsed)[] _patterns;
    private readonly bool _anyCollapsed;

    public RegexSplitter(IEnumerable<string> patterns)
    {
        _patterns = patterns.Select(p =>
        {
            var collapsed = Categories.Keys.Any(k => p.Contains(k, StringComparison.Ordinal));
            var translated = collapsed ? Collapse(p) : p;
            // std::regex's $ is the end of the input only; .NET's also matches before a final \n.
            if (translated.EndsWith('$') && !translated.EndsWith(@"\$", StringComparison.Ordinal)) translated = translated[..^1] + @"\z";
            return (new Regex(translated, RegexOptions.CultureInvariant | RegexOptions.Compiled), collapsed);
        }).ToArray();
        _anyCollapsed = _patterns.Any(p => p.Collapsed);
    }

    /// <summary>The words of the text, as code point ranges (start, length).</summary>
    public List<(int Start, int Length)> Split(string text, out int[] codepoints)
    {
        codepoints = ToCodepoints(text);
        var collapsed = _anyCollapsed ? CollapseText(codepoints) : null;
        string? plain = null;
        int[]? plainToCodepoint = null;
        var pieces = new List<(int Start, int Length)> { (0, codepoints.Length) };
        foreach (var (regex, isCollapsed) in _patterns)
        {
            if (isCollapsed) pieces = SplitPieces(regex, collapsed!, pieces, null, null);
            else
            {
                if (plain is null) (plain, plainToCodepoint) = PlainText(codepoints);
                pieces = SplitPieces(regex, plain, pieces, plainToCodepoint, CodepointStarts(plainToCodepoint!, codepoints.Length));
            }
        }
        return pieces;
    }

    /// <summary>
    /// One pattern over every piece. Without a map, input indices are code point indices; with one, the input is UTF-16
    /// and the maps convert between the two.
    /// </summary>
    private static List<(int, int)> SplitPieces(Regex regex, string input, List<(int Start, int Length)> pieces, int[]? toCodepoint, int[]? toUtf16)
    {
        var result = new List<(int, int)>(pieces.Count * 2);
        foreach (var (start, length) in pieces)
        {
            var begin = toUtf16 is null ? start : toUtf16[start];
            var end = toUtf16 is null ? start + length : toUtf16[start + length];
            var position = begin;
            for (var match = regex.Match(input, begin, end - begin); match.Success; match = match.NextMatch())
            {
                if (match.Index > position) result.Add(Range(position, match.Index, toCodepoint));
                result.Add(Range(match.Index, match.Index + match.Length, toCodepoint));
                position = match.Index + match.Length;
            }
            if (position < end) result.Add(Range(position, end, toCodepoint));
        }
        return result;
    }

    private static (int, int) Range(int from, int to, int[]? toCodepoint) =>
        toCodepoint is null ? (from, to - from) : (toCodepoint[from], toCodepoint[to] - toCodepoint[from]);

    private static string Collapse(string pattern)
    {
        var builder = new StringBuilder();
        var inside = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '[' && (i == 0 || pattern[i - 1] != '\\')) { builder.Append(c); inside = true; continue; }
            if (inside && c == ']' && pattern[i - 1] != '\\') { builder.Append(c); inside = false; continue; }
            if (c == '\\' && i + 3 < pattern.Length && pattern[i + 1] == 'p' && pattern[i + 2] == '{')
            {
                var close = pattern.IndexOf('}', i + 3);
                if (close >= 0 && Categories.TryGetValue(pattern[i..(close + 1)], out var category))
                {
                    if (!inside) builder.Append('[');
                    builder.Append(category.Marker).Append(category.Ascii);
                    if (!inside) builder.Append(']');
                    i = close;
                    continue;
                }
            }
            builder.Append(c);
        }
        return builder.ToString();
    }

    private static int[] ToCodepoints(string text)
    {
        var result = new int[text.Length];
        var count = 0;
        foreach (var rune in text.EnumerateRunes()) result[count++] = rune.Value;
        Array.Resize(ref result, count);
        return result;
    }

    private static string CollapseText(int[] codepoints)
    {
        return string.Create(codepoints.Length, codepoints, static (span, cps) =>
        {
            for (var i = 0; i < cps.Length; i++)
            {
                var cp = cps[i];
                span[i] = cp < 128 ? (char)cp : CodepointClass.IsWhitespace(cp) ? '\v' : CodepointClass.Of(cp) switch
                {
                    CodepointCategory.Number => NumberMarker,
                    CodepointCategory.Letter => LetterMarker,
                    CodepointCategory.Punctuation => PunctuationMarker,
                    CodepointCategory.Mark => MarkMarker,
                    CodepointCategory.Symbol => SymbolMarker,
                    _ => OtherMarker,
                };
            }
        });
    }

    /// <summary>UTF-16 text with non-ASCII whitespace as \v, and for each UTF-16 index (plus the end) its code point index.</summary>
    private static (string Text, int[] ToCodepoint) PlainText(int[] codepoints)
    {
        var builder = new StringBuilder(codepoints.Length);
        var map = new List<int>(codepoints.Length + 1);
        Span<char> buffer = stackalloc char[2];
        for (var i = 0; i < codepoints.Length; i++)
        {
            var cp = codepoints[i];
            if (cp > 0x7F && CodepointClass.IsWhitespace(cp)) cp = '\v';
            var rune = new Rune(cp);
            var n = rune.EncodeToUtf16(buffer);
            builder.Append(buffer[..n]);
            for (var k = 0; k < n; k++) map.Add(i);
        }
        map.Add(codepoints.Length);
        return (builder.ToString(), map.ToArray());
    }

    private static int[] CodepointStarts(int[] toCodepoint, int count)
    {
        var starts = new int[count + 1];
        for (var u = toCodepoint.Length - 1; u >= 0; u--) starts[toCodepoint[u]] = u;
        return starts;
    }
}

internal enum CodepointCategory { Other, Number, Letter, Punctuation, Mark, Symbol, Separator, Control }

/// <summary>Unicode categories and whitespace as llama.cpp's unicode tables define them.</summary>
internal static class CodepointClass
{
    public static bool IsWhitespace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0 or 0x1680 or >= 0x2000 and <= 0x200A or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    public static CodepointCategory Of(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp) switch
    {
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CodepointCategory.Number,
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CodepointCategory.Letter,
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation => CodepointCategory.Punctuation,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => CodepointCategory.Mark,
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol => CodepointCategory.Symbol,
        UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => CodepointCategory.Separator,
        UnicodeCategory.Control or UnicodeCategory.Format => CodepointCategory.Control,
        _ => CodepointCategory.Other,
    };
}
