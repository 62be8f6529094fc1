using System.Text;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tokenizers;

/// <summary>
/// tokenizer.ggml.model = "gpt2": byte-level BPE as llama.cpp's llm_tokenizer_bpe runs it. The pre-tokenizer named
/// by tokenizer.ggml.pre splits the text into words, each word's UTF-8 bytes map to characters (<see cref="ByteLevel"/>),
/// and adjacent symbols merge by the lowest merge rank (tokenizer.ggml.merges order).
/// </summary>
public sealed class BytePairTokenizer : Tokenizer
{
    // Separates the two halves of a merge in the rank table; it cannot occur in byte-level text.
    private const char MergeSeparator = '\uFFFF';
    private readonly Dictionary<string, int> _ranks;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _ranksBySpan;
    private readonly RegexSplitter _splitter;
    // A word always gives the same tokens, so repeated words skip the merge loop (llama.cpp recomputes them).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int[]> _wordCache = new(StringComparer.Ordinal);
    private const int WordCacheLimit = 100_000;

    private BytePairTokenizer(Vocabulary vocabulary, PreTokenizer preTokenizer, Dictionary<string, int> ranks, bool addBos, bool addEos)
        : base(vocabulary, addBos, addEos)
    {
        PreTokenizer = preTokenizer;
        _ranks = ranks;
        _ranksBySpan = ranks.GetAlternateLookup<ReadOnlySpan<char>>();
        _splitter = preTokenizer.Splitter;
    }

    internal static BytePairTokenizer Load(GgufFile file)
    {
        var preTokenizer = PreTokenizer.ForName(file.GetString("tokenizer.ggml.pre"));
        // llama.cpp's defaults for gpt2 vocabularies, used only when the file names no BOS/EOS.
        var vocabulary = Vocabulary.Load(file, defaultBos: 11, defaultEos: 11, defaultUnknown: null);
        var merges = file.GetArray("tokenizer.ggml.merges")
            ?? throw new TokenizerException($"{file.Path}: tokenizer.ggml.merges is missing; a gpt2 (BPE) tokenizer needs its merges");
        var ranks = new Dictionary<string, int>(merges.Items.Count, StringComparer.Ordinal);
        for (var rank = 0; rank < merges.Items.Count; rank++)
        {
            var merge = merges.Items[rank] as string ?? throw new TokenizerException("tokenizer.ggml.merges must hold strings");
            var space = merge.Length > 1 ? merge.IndexOf(' ', 1) : -1;
            if (space < 0) throw new TokenizerException($"merge {rank} ('{merge}') is not two symbols separated by a space");
            ranks.TryAdd(merge[..space] + MergeSeparator + merge[(space + 1)..], rank);
        }
        return new BytePairTokenizer(vocabulary, preTokenizer, ranks,
            file.GetBool("tokenizer.ggml.add_bos_token") ?? preTokenizer.AddBosByDefault,
            file.GetBool("tokenizer.ggml.add_eos_token") ?? false);
    }

    public override TokenizerKind Kind => TokenizerKind.BytePairEncoding;

    public PreTokenizer PreTokenizer { get; }

    private protected override void EncodeFragments(List<Fragment> fragments, List<int> output)
    {
        var merger = new SymbolMerger<(int Rank, int Left)>();
        var utf8 = new List<byte>();
        var word = new StringBuilder();
        Span<byte> buffer = stackalloc byte[4];
        foreach (var fragment in fragments)
        {
            if (fragment.IsToken)
            {
                output.Add(fragment.TokenId);
                continue;
            }
            var pieces = _splitter.Split(fragment.Value, out var codepoints);
            foreach (var (start, length) in pieces)
            {
                word.Clear();
                for (var i = start; i < start + length; i++)
                {
                    var n = new Rune(codepoints[i]).EncodeToUtf8(buffer);
                    for (var k = 0; k < n; k++) word.Append(ByteLevel.ByteToChar[buffer[k]]);
                }
                var key = word.ToString();
                if (_wordCache.TryGetValue(key, out var cached))
                {
                    output.AddRange(cached);
                    continue;
                }
                var before = output.Count;
                EncodeWord(key, output, merger);
                if (_wordCache.Count >= WordCacheLimit) _wordCache.Clear();
                _wordCache.TryAdd(key, output.GetRange(before, output.Count - before).ToArray());
            }
        }
    }

    private void EncodeWord(string word, List<int> output, SymbolMerger<(int Rank, int Left)> merger)
    {
        if (word.Length == 0) return;
        if (PreTokenizer.IgnoreMerges && Vocab.Find(word) is { } whole)
        {
            output.Add(whole);
            return;
        }
        merger.Clear();
        for (var i = 0; i < word.Length; i++) merger.Add(1);
        merger.Merge((int left, int start, int leftLength, int rightLength, out (int Rank, int Left) priority) =>
        {
            // A merge rule is written "left right".
            Span<char> key = leftLength + rightLength + 1 <= 256 ? stackalloc char[leftLength + rightLength + 1] : new char[leftLength + rightLength + 1];
            word.AsSpan(start, leftLength).CopyTo(key);
            key[leftLength] = MergeSeparator;
            word.AsSpan(start + leftLength, rightLength).CopyTo(key[(leftLength + 1)..]);
            var found = _ranksBySpan.TryGetValue(key, out var rank);
            priority = (rank, left);
            return found;
        });

        for (var i = merger.First; i != -1; i = merger[i].Next)
        {
            var text = word.AsSpan(merger[i].Start, merger[i].Length);
            if (Vocab.Find(text) is { } id)
            {
                output.Add(id);
                continue;
            }
            // llama.cpp's fallback: look each byte of the symbol's text up on its own; only ASCII can match.
            foreach (var c in text)
                if (c < 0x80 && Vocab.Find([c]) is { } single) output.Add(single);
        }
    }

    private protected override byte[] PieceBytes(int id, TokenType type)
    {
        var text = Vocab.Texts[id];
        if (type == TokenType.UserDefined) return Encoding.UTF8.GetBytes(text);
        if (type != TokenType.Normal) return [];
        var bytes = new List<byte>(text.Length);
        Span<byte> buffer = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.IsBmp && ByteLevel.TryCharToByte((char)rune.Value, out var b)) bytes.Add(b);
            else
            {
                // Not a byte-level character: keep it as text rather than lose it.
                var n = rune.EncodeToUtf8(buffer);
                for (var k = 0; k < n; k++) bytes.Add(buffer[k]);
            }
        }
        return [.. bytes];
    }
}
