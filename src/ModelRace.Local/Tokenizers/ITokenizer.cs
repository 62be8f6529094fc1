namespace ModelRace.Local.Tokenizers;

/// <summary>
/// A tokenizer that reproduces llama.cpp's token ids for a GGUF vocabulary.
/// Build one with <see cref="Tokenizer.FromGguf(Gguf.GgufFile)"/>.
/// </summary>
public interface ITokenizer
{
    TokenizerKind Kind { get; }
    int VocabularySize { get; }
    int? BosId { get; }
    int? EosId { get; }
    /// <summary>End of turn (e.g. &lt;|eot_id|&gt;, &lt;|im_end|&gt;), when the vocabulary has one.</summary>
    int? EotId { get; }
    /// <summary>Every token that ends generation: EOS, EOT, EOM and the known end-of-turn tokens.</summary>
    IReadOnlySet<int> EndOfGenerationIds { get; }
    /// <summary>Whether <see cref="Encode"/> with addSpecial puts BOS first (tokenizer.ggml.add_bos_token or llama.cpp's default).</summary>
    bool AddBos { get; }
    bool AddEos { get; }

    /// <summary>
    /// Tokenizes like llama.cpp's llama_tokenize. addSpecial adds BOS/EOS as the model asks; parseSpecial turns the
    /// text of control tokens (e.g. &lt;|im_start|&gt;) into those tokens, which chat templates need.
    /// </summary>
    int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false);

    /// <summary>Concatenates the tokens' pieces; control tokens are left out unless includeSpecial.</summary>
    string Decode(IEnumerable<int> ids, bool includeSpecial = false);

    /// <summary>The raw bytes a token stands for (a piece may be part of a UTF-8 character).</summary>
    byte[] TokenBytes(int id, bool includeSpecial = true);

    /// <summary>The token's text as stored in the vocabulary (e.g. "▁Hello" or "Ġworld").</summary>
    string TokenText(int id);

    TokenType GetTokenType(int id);

    bool IsEndOfGeneration(int id);
}
