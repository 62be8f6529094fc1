using System.Text;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tokenizers;

/// <summary>
/// Shared behaviour of the GGUF tokenizers: special-token splitting, BOS/EOS and token pieces, all as llama.cpp
/// (llama-vocab.cpp) does them. Subclasses tokenize plain text fragments.
/// </summary>
public abstract class Tokenizer : ITokenizer
{
    private readonly int[] _splitTokens;
    private protected Vocabulary Vocab { get; }

    private protected Tokenizer(Vocabulary vocabulary, bool addBos, bool addEos)
    {
        Vocab = vocabulary;
        AddBos = addBos;
        AddEos = addEos;
        // Longest first, so a special token is never cut by a shorter one that it contains.
        _splitTokens = Enumerable.Range(0, vocabulary.Count)
            .Where(id => vocabulary.Types[id] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown && vocabulary.Texts[id].Length > 0)
            .OrderByDescending(id => Encoding.UTF8.GetByteCount(vocabulary.Texts[id])).ThenBy(id => id).ToArray();
    }

    /// <summary>Builds the tokenizer that tokenizer.ggml.model names.</summary>
    public static ITokenizer FromGguf(GgufFile file)
    {
        var model = file.GetString("tokenizer.ggml.model")
            ?? throw new TokenizerException($"{file.Path}: tokenizer.ggml.model is missing, so the tokenizer type is unknown");
        return model switch
        {
            "llama" => SentencePieceTokenizer.Load(file),
            "gpt2" => BytePairTokenizer.Load(file),
            _ => throw new TokenizerException($"{file.Path}: tokenizer.ggml.model '{model}' is not supported; supported: llama (SentencePiece), gpt2 (byte-level BPE)"),
        };
    }

    /// <summary>Opens a GGUF file just long enough to read its tokenizer.</summary>
    public static ITokenizer FromGguf(string path)
    {
        using var file = GgufFile.Open(path);
        return FromGguf(file);
    }

    public abstract TokenizerKind Kind { get; }
    public int VocabularySize => Vocab.Count;
    public int? BosId => Vocab.Bos;
    public int? EosId => Vocab.Eos;
    public int? EotId => Vocab.Eot;
    public IReadOnlySet<int> EndOfGenerationIds => Vocab.EndOfGeneration;
    public bool AddBos { get; }
    public bool AddEos { get; }

    public bool IsEndOfGeneration(int id) => Vocab.EndOfGeneration.Contains(id);

    public string TokenText(int id) => Vocab.Texts[CheckId(id)];

    public TokenType GetTokenType(int id) => Vocab.Types[CheckId(id)];

    public int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = ReplaceLoneSurrogates(text);
        var output = new List<int>();
        if (addSpecial && AddBos)
            output.Add(Vocab.Bos ?? throw new TokenizerException("the model asks for a BOS token but its vocabulary names none"));
        if (text.Length > 0) EncodeFragments(Partition(text, parseSpecial), output);
        if (addSpecial && AddEos)
            output.Add(Vocab.Eos ?? throw new TokenizerException("the model asks for an EOS token but its vocabulary names none"));
        return [.. output];
    }

    /// <summary>Tokenizes text fragments (raw text) and special tokens (already ids) in order.</summary>
    private protected abstract void EncodeFragments(List<Fragment> fragments, List<int> output);

    public string Decode(IEnumerable<int> ids, bool includeSpecial = false)
    {
        var bytes = new List<byte>();
        var first = true;
        foreach (var id in ids)
        {
            var piece = TokenBytes(id, includeSpecial);
            // SentencePiece adds a space before the text; llama.cpp removes it again from the first piece.
            var skip = first && StripsLeadingSpace && piece.Length > 0 && piece[0] == (byte)' ' ? 1 : 0;
            for (var i = skip; i < piece.Length; i++) bytes.Add(piece[i]);
            // Hidden tokens (BOS before the text) print nothing, so the first visible piece is the one to strip.
            if (piece.Length > 0) first = false;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private protected virtual bool StripsLeadingSpace => false;

    public byte[] TokenBytes(int id, bool includeSpecial = true)
    {
        var type = Vocab.Types[CheckId(id)];
        if (type is TokenType.Control or TokenType.Unknown) return includeSpecial ? Encoding.UTF8.GetBytes(Vocab.Texts[id]) : [];
        return PieceBytes(id, type);
    }

    private protected abstract byte[] PieceBytes(int id, TokenType type);

    private int CheckId(int id) =>
        (uint)id < (uint)Vocab.Count ? id : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {Vocab.Count}");

    /// <summary>
    /// Splits out special tokens as llama.cpp's tokenizer_st_partition does: user-defined tokens always, control and
    /// unknown tokens only when parseSpecial is set.
    /// </summary>
    private List<Fragment> Partition(string text, bool parseSpecial)
    {
        var fragments = new List<Fragment> { Fragment.Raw(text, 0, text.Length) };
        foreach (var id in _splitTokens)
        {
            var type = Vocab.Types[id];
            if (!parseSpecial && type is TokenType.Control or TokenType.Unknown) continue;
            var special = Vocab.Texts[id];
            for (var f = 0; f < fragments.Count; f++)
            {
                var fragment = fragments[f];
                if (fragment.IsToken) continue;
                var match = fragment.Text.IndexOf(special, fragment.Start, fragment.Length, StringComparison.Ordinal);
                if (match < 0) continue;
                var end = fragment.Start + fragment.Length;
                fragments.RemoveAt(f);
                var insertAt = f;
                var position = fragment.Start;
                var (stripLeft, stripRight) = Vocab.StripsSpaces(id);
                while (match >= 0)
                {
                    var leftEnd = match;
                    while (stripLeft && leftEnd > position && IsAsciiSpace(text[leftEnd - 1])) leftEnd--;
                    if (leftEnd > position) fragments.Insert(insertAt++, Fragment.Raw(text, position, leftEnd - position));
                    fragments.Insert(insertAt++, Fragment.Token(id));
                    position = match + special.Length;
                    while (stripRight && position < end && IsAsciiSpace(text[position])) position++;
                    match = position < end ? text.IndexOf(special, position, end - position, StringComparison.Ordinal) : -1;
                }
                if (position < end) fragments.Insert(insertAt++, Fragment.Raw(text, position, end - position));
                f = insertAt - 1;
            }
        }
        return fragments;
    }

    // C's isspace, which llama.cpp uses for these strips.
    private static bool IsAsciiSpace(char c) => c is ' ' or >= '\t' and <= '\r';

    private static string ReplaceLoneSurrogates(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            return Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
        }
        return text;
    }

    private protected readonly record struct Fragment(string Text, int Start, int Length, int TokenId)
    {
        public bool IsToken => TokenId >= 0;
        public static Fragment Raw(string text, int start, int length) => new(text, start, length, -1);
        public static Fragment Token(int id) => new("", 0, 0, id);
        public string Value => Text.Substring(Start, Length);
    }
}
