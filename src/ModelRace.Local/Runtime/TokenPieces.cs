using System.Globalization;
using System.Text;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Runtime;

/// <summary>
/// Turns token ids back into bytes using the vocabulary stored in the GGUF (tokenizer.ggml.tokens), for both
/// SentencePiece vocabularies (▁ is a space, &lt;0xNN&gt; is a raw byte) and GPT-2 byte-level BPE (each character
/// stands for one byte). Control tokens (BOS, EOS, chat markers) decode to nothing. Encoding text is the tokenizer's job.
/// </summary>
public sealed class TokenPieces
{
    private const int ControlTokenType = 3;
    private const int ByteTokenType = 6;
    private readonly byte[][] _bytes;

    public bool IsSentencePiece { get; }
    public int? BosToken { get; }
    public int? EosToken { get; }
    /// <summary>End-of-generation tokens: EOS, EOT, EOM and the usual end-of-turn markers found in the vocabulary.</summary>
    public IReadOnlySet<int> EndOfGeneration { get; }
    public bool AddBos { get; }
    public int Count => _bytes.Length;

    public TokenPieces(GgufFile file)
    {
        var tokens = file.GetArray("tokenizer.ggml.tokens")?.As<string>().ToArray()
            ?? throw new GgufFormatException($"{file.Path}: tokenizer.ggml.tokens is missing, so tokens cannot be turned into text");
        var types = file.GetArray("tokenizer.ggml.token_type")?.Items.Select(t => Convert.ToInt32(t, CultureInfo.InvariantCulture)).ToArray();
        var model = file.GetString("tokenizer.ggml.model") ?? "llama";
        IsSentencePiece = model == "llama";
        int? Id(string key) => file.GetInteger(key) is { } v && v >= 0 && v < tokens.Length ? (int)v : null;
        BosToken = Id("tokenizer.ggml.bos_token_id");
        EosToken = Id("tokenizer.ggml.eos_token_id");
        AddBos = file.GetBool("tokenizer.ggml.add_bos_token") ?? IsSentencePiece;

        var byteForChar = IsSentencePiece ? null : Gpt2ByteForChar();
        _bytes = new byte[tokens.Length][];
        for (var i = 0; i < tokens.Length; i++)
        {
            var type = types is not null && i < types.Length ? types[i] : 1;
            _bytes[i] = type == ControlTokenType ? []
                : IsSentencePiece ? SentencePieceBytes(tokens[i], type == ByteTokenType)
                : ByteLevelBytes(tokens[i], byteForChar!);
        }

        var endOfGeneration = new HashSet<int>();
        foreach (var key in new[] { "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" })
            if (Id(key) is { } id) endOfGeneration.Add(id);
        string[] endMarkers = ["<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "<|end_of_text|>"];
        for (var i = 0; i < tokens.Length; i++)
            if (endMarkers.Contains(tokens[i]) && (types is null || i >= types.Length || types[i] is ControlTokenType or 4)) endOfGeneration.Add(i);
        EndOfGeneration = endOfGeneration;
    }

    /// <summary>The raw bytes of one token (possibly part of a UTF-8 character).</summary>
    public ReadOnlySpan<byte> Bytes(int token) =>
        (uint)token < (uint)_bytes.Length ? _bytes[token] : throw new ArgumentOutOfRangeException(nameof(token), token, $"not a token id (vocabulary of {_bytes.Length})");

    /// <summary>Decodes a whole token sequence; a SentencePiece space right after BOS is dropped, as llama.cpp and llama2.c do.</summary>
    public string Decode(IEnumerable<int> tokens, int? previousToken = null)
    {
        var decoder = new StreamingTextDecoder(this, previousToken);
        var text = new StringBuilder();
        foreach (var token in tokens) text.Append(decoder.Append(token));
        text.Append(decoder.Flush());
        return text.ToString();
    }

    private static byte[] SentencePieceBytes(string piece, bool isByteToken)
    {
        if (isByteToken && piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece.EndsWith('>'))
            return [byte.Parse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)];
        return Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' '));
    }

    private static byte[] ByteLevelBytes(string piece, Dictionary<char, byte> byteForChar)
    {
        var bytes = new byte[piece.Length];
        for (var i = 0; i < piece.Length; i++)
        {
            // A character outside the byte alphabet (an added token) is kept as its own UTF-8.
            if (!byteForChar.TryGetValue(piece[i], out bytes[i])) return Encoding.UTF8.GetBytes(piece);
        }
        return bytes;
    }

    /// <summary>GPT-2's reversible byte ↔ printable character map: printable Latin-1 bytes map to themselves, the rest to U+0100 on.</summary>
    private static Dictionary<char, byte> Gpt2ByteForChar()
    {
        var map = new Dictionary<char, byte>();
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[(char)(printable ? b : next++)] = (byte)b;
        }
        return map;
    }
}

/// <summary>Token-by-token text: holds back bytes of an unfinished UTF-8 character until it completes.</summary>
public sealed class StreamingTextDecoder(TokenPieces pieces, int? previousToken = null)
{
    private readonly Decoder _utf8 = new UTF8Encoding(false, false).GetDecoder();
    private int? _previous = previousToken;

    public string Append(int token)
    {
        var bytes = pieces.Bytes(token);
        if (pieces.IsSentencePiece && _previous is { } p && p == pieces.BosToken && bytes.Length > 0 && bytes[0] == (byte)' ')
            bytes = bytes[1..];
        _previous = token;
        var chars = new char[_utf8.GetCharCount(bytes, flush: false)];
        _utf8.GetChars(bytes, chars, flush: false);
        return new string(chars);
    }

    public string Flush()
    {
        var chars = new char[_utf8.GetCharCount([], flush: true)];
        _utf8.GetChars([], chars, flush: true);
        return new string(chars);
    }
}
