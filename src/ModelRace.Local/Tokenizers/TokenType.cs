namespace ModelRace.Local.Tokenizers;

/// <summary>Values of tokenizer.ggml.token_type, numbered as GGUF (and llama.cpp) store them.</summary>
public enum TokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>Which algorithm tokenizer.ggml.model names.</summary>
public enum TokenizerKind
{
    /// <summary>"llama": SentencePiece BPE by piece scores, with byte fallback.</summary>
    SentencePiece,
    /// <summary>"gpt2": byte-level BPE by merge ranks, after a regex pre-tokenizer.</summary>
    BytePairEncoding,
}
