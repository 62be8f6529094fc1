using System.Text;
using ModelRace.Local.Gguf;
using ModelRace.Local.Tokenizers;

namespace ModelRace.Local.Tests;

/// <summary>Writes small vocab-only GGUF files in memory, so tokenizer rules can be tested without shared/.</summary>
internal static class TokenizerTestVocab
{
    public static ITokenizer Build(params (string Key, object Value)[] metadata)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write("GGUF"u8);
            writer.Write(3u);
            writer.Write(0UL);
            writer.Write((ulong)metadata.Length);
            foreach (var (key, value) in metadata)
            {
                WriteString(writer, key);
                WriteValue(writer, value);
            }
        }
        using var file = GgufFile.FromBytes(stream.ToArray());
        return Tokenizer.FromGguf(file);
    }

    /// <summary>A SentencePiece vocabulary: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, 256 byte tokens, then the given pieces.</summary>
    public static ITokenizer SentencePiece(IEnumerable<(string Piece, float Score)> pieces, params (string Key, object Value)[] extra)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { 2, 3, 3 };
        var scores = new List<float> { 0, 0, 0 };
        for (var b = 0; b < 256; b++) { tokens.Add($"<0x{b:X2}>"); types.Add(6); scores.Add(0); }
        foreach (var (piece, score) in pieces) { tokens.Add(piece); types.Add(1); scores.Add(score); }
        return Build([("tokenizer.ggml.model", "llama"), ("tokenizer.ggml.tokens", tokens.ToArray()),
            ("tokenizer.ggml.scores", scores.ToArray()), ("tokenizer.ggml.token_type", types.ToArray()), .. extra]);
    }

    /// <summary>A byte-level BPE vocabulary: the 256 byte characters, the merges' results, then extra tokens of the given types.</summary>
    public static ITokenizer BytePair(string pre, string[] merges, (string Text, int Type)[] extra, params (string Key, object Value)[] more)
    {
        var tokens = new List<string>();
        for (var b = 0; b < 256; b++) tokens.Add(ByteChar(b).ToString());
        foreach (var merge in merges) tokens.Add(merge.Replace(" ", "", StringComparison.Ordinal));
        var types = Enumerable.Repeat(1, tokens.Count).ToList();
        foreach (var (text, type) in extra) { tokens.Add(text); types.Add(type); }
        return Build([("tokenizer.ggml.model", "gpt2"), ("tokenizer.ggml.pre", pre), ("tokenizer.ggml.tokens", tokens.ToArray()),
            ("tokenizer.ggml.token_type", types.ToArray()), ("tokenizer.ggml.merges", merges), .. more]);
    }

    /// <summary>GPT-2's byte-to-character table, written out independently of the production code.</summary>
    public static char ByteChar(int b)
    {
        if (b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF) return (char)b;
        var shifted = 0;
        for (var i = 0; i < b; i++) if (!(i is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF)) shifted++;
        return (char)(256 + shifted);
    }

    public static int Id(ITokenizer tokenizer, string text) =>
        Enumerable.Range(0, tokenizer.VocabularySize).First(i => tokenizer.TokenText(i) == text);

    private static void WriteString(BinaryWriter writer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static void WriteValue(BinaryWriter writer, object value)
    {
        switch (value)
        {
            case string s: writer.Write((uint)GgufValueType.String); WriteString(writer, s); break;
            case bool b: writer.Write((uint)GgufValueType.Bool); writer.Write(b); break;
            case int i: writer.Write((uint)GgufValueType.Int32); writer.Write(i); break;
            case uint u: writer.Write((uint)GgufValueType.UInt32); writer.Write(u); break;
            case string[] strings: WriteArray(writer, GgufValueType.String, strings, s => WriteString(writer, s)); break;
            case float[] floats: WriteArray(writer, GgufValueType.Float32, floats, writer.Write); break;
            case int[] ints: WriteArray(writer, GgufValueType.Int32, ints, writer.Write); break;
            default: throw new ArgumentException($"unsupported metadata value {value.GetType()}");
        }
    }

    private static void WriteArray<T>(BinaryWriter writer, GgufValueType type, T[] items, Action<T> write)
    {
        writer.Write((uint)GgufValueType.Array);
        writer.Write((uint)type);
        writer.Write((ulong)items.Length);
        foreach (var item in items) write(item);
    }
}
