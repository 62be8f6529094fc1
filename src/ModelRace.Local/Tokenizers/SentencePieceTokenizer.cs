using System.Globalization;
using System.Text;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tokenizers;

/// <summary>
/// tokenizer.ggml.model = "llama": SentencePiece BPE as llama.cpp's llm_tokenizer_spm runs it. Spaces become
/// U+2581, adjacent symbols merge by the highest piece score, and what no piece covers falls back to &lt;0xXX&gt; byte tokens.
/// </summary>
public sealed class SentencePieceTokenizer : Tokenizer
{
    private const char SpaceMarker = '\u2581';
    private readonly int[] _byteTokens;

    private SentencePieceTokenizer(Vocabulary vocabulary, bool addBos, bool addEos, bool addSpacePrefix) : base(vocabulary, addBos, addEos)
    {
        AddSpacePrefix = addSpacePrefix;
        _byteTokens = new int[256];
        for (var b = 0; b < 256; b++)
            _byteTokens[b] = vocabulary.Find($"<0x{b:X2}>") ?? vocabulary.Find(((char)b).ToString()) ?? vocabulary.Unknown ?? -1;
    }

    internal static SentencePieceTokenizer Load(GgufFile file)
    {
        var vocabulary = Vocabulary.Load(file, defaultBos: 1, defaultEos: 2, defaultUnknown: 0);
        return new SentencePieceTokenizer(vocabulary,
            file.GetBool("tokenizer.ggml.add_bos_token") ?? true,
            file.GetBool("tokenizer.ggml.add_eos_token") ?? false,
            file.GetBool("tokenizer.ggml.add_space_prefix") ?? true);
    }

    public override TokenizerKind Kind => TokenizerKind.SentencePiece;

    /// <summary>Whether a space goes before text at the start and after each special token (tokenizer.ggml.add_space_prefix).</summary>
    public bool AddSpacePrefix { get; }

    private protected override bool StripsLeadingSpace => AddSpacePrefix;

    private protected override void EncodeFragments(List<Fragment> fragments, List<int> output)
    {
        var previousWasSpecial = true;
        foreach (var fragment in fragments)
        {
            if (fragment.IsToken)
            {
                output.Add(fragment.TokenId);
                previousWasSpecial = true;
                continue;
            }
            var text = (AddSpacePrefix && previousWasSpecial ? " " : "") + fragment.Value;
            new Session(this, text.Replace(' ', SpaceMarker)).Tokenize(output);
            previousWasSpecial = false;
        }
    }

    private protected override byte[] PieceBytes(int id, TokenType type)
    {
        var text = Vocab.Texts[id];
        return type switch
        {
            TokenType.Normal => Encoding.UTF8.GetBytes(text.Replace(SpaceMarker, ' ')),
            TokenType.UserDefined => Encoding.UTF8.GetBytes(text),
            TokenType.Byte => [ParseByteToken(text)],
            _ => [],
        };
    }

    private static byte ParseByteToken(string text) =>
        text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>' &&
        byte.TryParse(text.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new TokenizerException($"byte token '{text}' is not of the form <0xXX>");

    /// <summary>One run of the merge loop over one text fragment: the pair whose merged piece scores highest first, on a tie the leftmost.</summary>
    private sealed class Session(SentencePieceTokenizer owner, string text)
    {
        private readonly SymbolMerger<(float NegatedScore, int Left)> _merger = new();

        public void Tokenize(List<int> output)
        {
            for (var offset = 0; offset < text.Length;)
            {
                var length = char.IsHighSurrogate(text[offset]) && offset + 1 < text.Length ? 2 : 1;
                _merger.Add(length);
                offset += length;
            }
            _merger.Merge(Rank);
            for (var i = _merger.First; i != -1; i = _merger[i].Next) Resegment(_merger[i].Start, _merger[i].Length, output);
        }

        private bool Rank(int left, int start, int leftLength, int rightLength, out (float NegatedScore, int Left) priority)
        {
            priority = default;
            if (owner.Vocab.Find(text.AsSpan(start, leftLength + rightLength)) is not { } id) return false;
            priority = (-owner.Vocab.Scores[id], left);
            return true;
        }

        /// <summary>
        /// llama.cpp also keeps a table of merges to undo here, but a merged symbol is always a piece (a pair is only
        /// queued when its text is one), so only single characters missing from the vocabulary reach the byte fallback.
        /// </summary>
        private void Resegment(int start, int length, List<int> output)
        {
            var span = text.AsSpan(start, length);
            if (owner.Vocab.Find(span) is { } id)
            {
                output.Add(id);
                return;
            }
            foreach (var b in Encoding.UTF8.GetBytes(span.ToArray()))
            {
                var token = owner._byteTokens[b];
                if (token < 0) throw new TokenizerException($"the vocabulary has neither a byte token <0x{b:X2}> nor an unknown token");
                output.Add(token);
            }
        }
    }
}
