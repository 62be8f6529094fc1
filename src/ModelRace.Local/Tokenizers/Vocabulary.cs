using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tokenizers;

/// <summary>The token table and special ids read from GGUF metadata, with llama.cpp's defaults where keys are missing.</summary>
internal sealed class Vocabulary
{
    // Texts llama.cpp treats as end of generation even when no key names them.
    private static readonly string[] EndOfTurnTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>",
        "<|end_of_text|>", "<end_of_utterance>", "<｜end▁of▁sentence｜>",
    ];

    public required string[] Texts { get; init; }
    public required float[] Scores { get; init; }
    public required TokenType[] Types { get; init; }
    /// <summary>Text to id; a text that appears twice maps to the later id, as in llama.cpp.</summary>
    public required Dictionary<string, int> Ids { get; init; }
    public Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> IdsBySpan { get; private init; }
    public int? Bos { get; init; }
    public int? Eos { get; init; }
    public int? Eot { get; init; }
    public int? Unknown { get; init; }
    public required IReadOnlySet<int> EndOfGeneration { get; init; }
    /// <summary>Special tokens that swallow ASCII whitespace after them when split out of text.</summary>
    public IReadOnlySet<int> StripRight { get; init; } = new HashSet<int>();

    public (bool Left, bool Right) StripsSpaces(int id) => (false, StripRight.Contains(id));

    public int Count => Texts.Length;

    public int? Find(ReadOnlySpan<char> text) => IdsBySpan.TryGetValue(text, out var id) ? id : null;

    public static Vocabulary Load(GgufFile file, int? defaultBos, int? defaultEos, int? defaultUnknown)
    {
        var tokens = file.GetArray("tokenizer.ggml.tokens")
            ?? throw new TokenizerException($"{file.Path}: tokenizer.ggml.tokens is missing, so the file has no vocabulary");
        var texts = tokens.Items.Select(t => t as string ?? throw new TokenizerException("tokenizer.ggml.tokens must hold strings")).ToArray();
        var scores = ReadFloats(file, "tokenizer.ggml.scores", texts.Length);
        var types = ReadTypes(file, texts.Length);
        var ids = new Dictionary<string, int>(texts.Length, StringComparer.Ordinal);
        for (var i = 0; i < texts.Length; i++) ids[texts[i]] = i;

        var bos = SpecialId(file, "tokenizer.ggml.bos_token_id", defaultBos, texts.Length);
        var eos = SpecialId(file, "tokenizer.ggml.eos_token_id", defaultEos, texts.Length);
        var unknown = SpecialId(file, "tokenizer.ggml.unknown_token_id", defaultUnknown, texts.Length);
        var eot = SpecialId(file, "tokenizer.ggml.eot_token_id", null, texts.Length);
        var eom = SpecialId(file, "tokenizer.ggml.eom_token_id", null, texts.Length);
        eot ??= EndOfTurnTexts.Select(t => ids.TryGetValue(t, out var id) ? id : (int?)null).FirstOrDefault(id => id is not null);

        var endOfGeneration = new HashSet<int>();
        foreach (var id in new[] { eos, eot, eom }) if (id is { } value) endOfGeneration.Add(value);
        foreach (var text in EndOfTurnTexts)
        {
            if (!ids.TryGetValue(text, out var id)) continue;
            endOfGeneration.Add(id);
            // llama.cpp treats these as control tokens whatever the file says, so they print and parse as special.
            types[id] = TokenType.Control;
        }

        return new Vocabulary
        {
            StripRight = Phi3StripRight(file, texts, types, ids),
            Texts = texts, Scores = scores, Types = types, Ids = ids, IdsBySpan = ids.GetAlternateLookup<ReadOnlySpan<char>>(),
            Bos = bos, Eos = eos, Eot = eot, Unknown = unknown, EndOfGeneration = endOfGeneration,
        };
    }

    /// <summary>
    /// llama.cpp's rule for Phi-3 (by general.name): its special tokens and &lt;/s&gt; drop the whitespace that follows
    /// them, except &lt;unk&gt;, &lt;s&gt; and &lt;|endoftext|&gt;.
    /// </summary>
    private static HashSet<int> Phi3StripRight(GgufFile file, string[] texts, TokenType[] types, Dictionary<string, int> ids)
    {
        var name = file.GetString("general.name")?.ToLowerInvariant() ?? "";
        var result = new HashSet<int>();
        if (!name.Contains("phi-3", StringComparison.Ordinal) && !name.Contains("phi3", StringComparison.Ordinal)) return result;
        for (var id = 0; id < texts.Length; id++)
            if (types[id] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown) result.Add(id);
        if (ids.TryGetValue("</s>", out var eosText)) result.Add(eosText);
        foreach (var kept in new[] { "<unk>", "<s>", "<|endoftext|>" })
            if (ids.TryGetValue(kept, out var id)) result.Remove(id);
        return result;
    }

    private static float[] ReadFloats(GgufFile file, string key, int count)
    {
        var array = file.GetArray(key);
        if (array is null) return new float[count];
        if (array.Items.Count != count) throw new TokenizerException($"{key} has {array.Items.Count} entries but the vocabulary has {count} tokens");
        return array.Items.Select(v => System.Convert.ToSingle(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    private static TokenType[] ReadTypes(GgufFile file, int count)
    {
        var array = file.GetArray("tokenizer.ggml.token_type");
        if (array is null) return Enumerable.Repeat(TokenType.Normal, count).ToArray();
        if (array.Items.Count != count)
            throw new TokenizerException($"tokenizer.ggml.token_type has {array.Items.Count} entries but the vocabulary has {count} tokens");
        return array.Items.Select(v => (TokenType)System.Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>An id from metadata; GGUF writes "none" as -1 (or 0xFFFFFFFF), and llama.cpp ignores ids outside the vocabulary.</summary>
    private static int? SpecialId(GgufFile file, string key, int? fallback, int count)
    {
        var value = file.GetInteger(key);
        if (value is null) return fallback is { } f && f < count ? f : null;
        return value >= 0 && value < count ? (int)value : null;
    }
}
