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

    /// <summary>One run of the merge loop over one text fragment.</summary>
    private sealed class Session(SentencePieceTokenizer owner, string text)
    {
        private readonly List<Symbol> _symbols = [];
        private readonly PriorityQueue<Bigram, Bigram> _queue = new(BigramOrder.Instance);

        public void Tokenize(List<int> output)
        {
            for (var offset = 0; offset < text.Length;)
            {
                var length = char.IsHighSurrogate(text[offset]) && offset + 1 < text.Length ? 2 : 1;
                var index = _symbols.Count;
                _symbols.Add(new Symbol(offset, length, index - 1, offset + length == text.Length ? -1 : index + 1));
                offset += length;
            }
            for (var i = 1; i < _symbols.Count; i++) TryAddBigram(i - 1, i);

            while (_queue.TryDequeue(out var bigram, out _))
            {
                var left = _symbols[bigram.Left];
                var right = _symbols[bigram.Right];
                // Stale entry: one side was merged into something else since it was queued.
                if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Length) continue;
                _symbols[bigram.Left] = left with { Length = left.Length + right.Length, Next = right.Next };
                _symbols[bigram.Right] = right with { Length = 0 };
                if (right.Next >= 0) _symbols[right.Next] = _symbols[right.Next] with { Previous = bigram.Left };
                TryAddBigram(left.Previous, bigram.Left);
                TryAddBigram(bigram.Left, right.Next);
            }

            for (var i = 0; i != -1 && _symbols.Count > 0; i = _symbols[i].Next) Resegment(_symbols[i], output);
        }

        private void TryAddBigram(int left, int right)
        {
            if (left == -1 || right == -1) return;
            var start = _symbols[left].Start;
            var length = _symbols[left].Length + _symbols[right].Length;
            var span = text.AsSpan(start, length);
            if (owner.Vocab.Find(span) is not { } id) return;
            var bigram = new Bigram(left, right, owner.Vocab.Scores[id], length);
            _queue.Enqueue(bigram, bigram);
        }

        /// <summary>
        /// llama.cpp also keeps a table of merges to undo here, but a merged symbol is always a piece (a pair is only
        /// queued when its text is one), so only single characters missing from the vocabulary reach the byte fallback.
        /// </summary>
        private void Resegment(Symbol symbol, List<int> output)
        {
            var span = text.AsSpan(symbol.Start, symbol.Length);
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

    private readonly record struct Symbol(int Start, int Length, int Previous, int Next);

    private readonly record struct Bigram(int Left, int Right, float Score, int Length);

    /// <summary>Highest score first; on a tie, the leftmost pair.</summary>
    private sealed class BigramOrder : IComparer<Bigram>
    {
        public static readonly BigramOrder Instance = new();
        public int Compare(Bigram x, Bigram y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.Left.CompareTo(y.Left);
    }
}
