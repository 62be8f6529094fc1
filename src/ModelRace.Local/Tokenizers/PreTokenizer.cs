namespace ModelRace.Local.Tokenizers;

/// <summary>
/// The regex pre-tokenizers llama.cpp applies before byte-level BPE, chosen by tokenizer.ggml.pre. Each is a list
/// of patterns applied in turn; every pattern splits the pieces left by the previous one (see <see cref="RegexSplitter"/>).
/// The patterns are llama.cpp's, so that the same text splits at the same places.
/// </summary>
public sealed record PreTokenizer(string Name, IReadOnlyList<string> Patterns, bool IgnoreMerges = false, bool AddBosByDefault = false)
{
    private const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    private const string Contractions = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private const string Llama3 = Contractions + @"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2 = Contractions + @"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string CjkIdeographsAndHangul = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";
    private const string Bloom = " ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";

    // DeepSeek LLM's letters (cased letters, category LC), with the astral ranges spelled as surrogate pairs
    // because .NET matches UTF-16 code units.
    private const string DeepSeekLetters =
        "(?:[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377" +
        "\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5" +
        "\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D" +
        "\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4" +
        "\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D" +
        "\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4" +
        "\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06" +
        "\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A]" +
        "|\uD801[\uDC00-\uDC4F\uDCB0-\uDCD3\uDCD8-\uDCFB]|\uD803[\uDC80-\uDCB2\uDCC0-\uDCF2]|\uD806[\uDCA0-\uDCDF]|\uD83A[\uDD00-\uDD43])";

    private const string Tekken =
        @"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Gpt4o =
        @"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+" + Contractions + @"?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*" + Contractions +
        @"?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static readonly PreTokenizer Default = new("default", [@"[\p{P}\$\+<=>\^~\|]+", Gpt2, @"\p{N}+", "[0-9][0-9][0-9]"]);

    private static readonly PreTokenizer[] Known =
    [
        Default,
        new("gpt-2", [Gpt2]),
        new("llama3", [Llama3], IgnoreMerges: true, AddBosByDefault: true),
        // Same pattern as llama3, but llama.cpp keeps BPE merges on for these.
        new("dbrx", [Llama3]),
        new("smaug-bpe", [Llama3]),
        new("chatglm-bpe", [Llama3]),
        new("qwen2", [Qwen2]),
        new("deepseek-llm", ["[\r\n]", @"\s?" + DeepSeekLetters + "+", "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+", @"\s+$", CjkIdeographsAndHangul, @"\p{N}+"]),
        new("deepseek-coder", ["[\r\n]", @"\s?\p{L}+", @"\s?\p{P}+", CjkIdeographsAndHangul, @"\p{N}"]),
        new("deepseek-v3", [@"\p{N}{1,3}", "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"]),
        new("falcon", [@"[\p{P}\$\+<=>\^~\|`]+", Gpt2, "[0-9][0-9][0-9]"]),
        new("starcoder", [@"\p{N}", Gpt2]),
        new("bloom", [Bloom]),
        new("viking", [Bloom, @"\p{N}"]),
        new("tekken", [Tekken], IgnoreMerges: true, AddBosByDefault: true),
        new("gpt-4o", [Gpt4o]),
    ];

    // tokenizer.ggml.pre values that llama.cpp maps onto one of the pre-tokenizers above.
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["llama-bpe"] = "llama3", ["llama-v3"] = "llama3", ["falcon3"] = "llama3", ["falcon-h1"] = "llama3", ["pixtral"] = "llama3",
        ["deepseek-r1-qwen"] = "qwen2", ["stablelm2"] = "qwen2", ["megrez"] = "qwen2", ["hunyuan"] = "qwen2",
        ["mpt"] = "gpt-2", ["olmo"] = "gpt-2", ["jais"] = "gpt-2", ["phi-2"] = "gpt-2", ["jina-es"] = "gpt-2", ["jina-de"] = "gpt-2",
        ["jina-v1-en"] = "gpt-2", ["jina-v2-es"] = "gpt-2", ["jina-v2-de"] = "gpt-2", ["jina-v2-code"] = "gpt-2", ["gigachat"] = "gpt-2",
        ["trillion"] = "gpt-2", ["mellum"] = "gpt-2",
        ["smollm"] = "starcoder", ["refact"] = "starcoder", ["command-r"] = "starcoder", ["codeshell"] = "starcoder",
        ["exaone"] = "starcoder", ["minerva-7b"] = "starcoder",
        ["poro-chat"] = "bloom", ["gpt3-finnish"] = "bloom",
        ["llama4"] = "gpt-4o",
    };

    private RegexSplitter? _splitter;

    internal RegexSplitter Splitter => _splitter ??= new RegexSplitter(Patterns);

    /// <summary>The words this pre-tokenizer cuts the text into, before BPE.</summary>
    public IReadOnlyList<string> Split(string text)
    {
        var pieces = Splitter.Split(text, out var codepoints);
        return [.. pieces.Select(p => string.Concat(codepoints.AsSpan(p.Start, p.Length).ToArray().Select(char.ConvertFromUtf32)))];
    }

    /// <summary>Every tokenizer.ggml.pre value this runtime accepts.</summary>
    public static IReadOnlyList<string> SupportedNames { get; } =
        [.. Known.Select(p => p.Name).Concat(Aliases.Keys).Order(StringComparer.Ordinal)];

    /// <summary>The pre-tokenizer for a tokenizer.ggml.pre value; a missing value means llama.cpp's default.</summary>
    public static PreTokenizer ForName(string? name)
    {
        if (string.IsNullOrEmpty(name)) return Default;
        var canonical = Aliases.GetValueOrDefault(name, name);
        return Known.FirstOrDefault(p => p.Name == canonical) is { } known
            ? known with { Name = name }
            : throw new TokenizerException($"unknown pre-tokenizer '{name}' (tokenizer.ggml.pre); supported: {string.Join(", ", SupportedNames)}");
    }
}
