using ModelRace.Local.Tokenizers;

namespace ModelRace.Local.Tests;

/// <summary>The tokenizer rules on small hand-made vocabularies, independent of shared/.</summary>
public class TokenizerRulesTests
{
    private const int ByteBase = 3; // <0x00> follows <unk>, <s>, </s>

    private static ITokenizer SmallSentencePiece(params (string Key, object Value)[] extra) =>
        TokenizerTestVocab.SentencePiece([("▁", -1f), ("a", -2f), ("b", -2f), ("▁a", -0.5f), ("ab", -0.1f), ("c", -2f), ("▁c", -0.2f)], extra);

    [Fact]
    public void SentencePiece_merges_the_highest_scoring_pair_first_and_prefixes_a_space()
    {
        var tokenizer = SmallSentencePiece();
        var ids = tokenizer.Encode("ab", addSpecial: false);
        // "▁ab": "ab" (-0.1) beats "▁a" (-0.5), and no piece "▁ab" exists.
        Assert.Equal(["▁", "ab"], ids.Select(tokenizer.TokenText));
    }

    [Fact]
    public void SentencePiece_adds_bos_by_default_and_not_eos()
    {
        var tokenizer = SmallSentencePiece();
        Assert.True(tokenizer.AddBos);
        Assert.False(tokenizer.AddEos);
        Assert.Equal(1, tokenizer.Encode("ab")[0]);
        Assert.Equal([1], tokenizer.Encode(""));
        Assert.Empty(tokenizer.Encode("", addSpecial: false));
    }

    [Fact]
    public void SentencePiece_metadata_flags_override_the_defaults()
    {
        var tokenizer = SmallSentencePiece(("tokenizer.ggml.add_bos_token", false), ("tokenizer.ggml.add_eos_token", true), ("tokenizer.ggml.add_space_prefix", false));
        Assert.Equal(["ab", "</s>"], tokenizer.Encode("ab").Select(tokenizer.TokenText));
    }

    [Fact]
    public void SentencePiece_falls_back_to_utf8_byte_tokens()
    {
        var tokenizer = SmallSentencePiece();
        Assert.Equal([TokenizerTestVocab.Id(tokenizer, "▁"), ByteBase + 0xC3, ByteBase + 0xA9], tokenizer.Encode("é", addSpecial: false));
        Assert.Equal("é", tokenizer.Decode(tokenizer.Encode("é")));
    }

    [Fact]
    public void SentencePiece_parses_control_tokens_only_when_asked_and_prefixes_a_space_after_them()
    {
        var tokenizer = SmallSentencePiece();
        Assert.Equal(["<s>", "▁c"], tokenizer.Encode("<s>c", addSpecial: false, parseSpecial: true).Select(tokenizer.TokenText));
        Assert.DoesNotContain(1, tokenizer.Encode("<s>c", addSpecial: false, parseSpecial: false));
    }

    [Fact]
    public void SentencePiece_decode_removes_the_added_space_and_hides_control_tokens()
    {
        var tokenizer = SmallSentencePiece();
        var ids = tokenizer.Encode("ab c");
        Assert.Equal("ab c", tokenizer.Decode(ids));
        // As in llama.cpp, only the first printed piece loses its space.
        Assert.Equal("<s> ab c", tokenizer.Decode(ids, includeSpecial: true));
    }

    private static readonly string[] HelloMerges = ["h e", "l l", "l o", "he ll", "hell o"];

    private static ITokenizer SmallBytePair(string pre = "gpt-2", params (string Key, object Value)[] more) =>
        TokenizerTestVocab.BytePair(pre, HelloMerges, [("<|im_start|>", 3), ("<tool>", 4), ("world", 1)], more);

    [Fact]
    public void BytePair_merges_by_lowest_rank()
    {
        var tokenizer = SmallBytePair();
        Assert.Equal(["hello"], tokenizer.Encode("hello", addSpecial: false).Select(tokenizer.TokenText));
        // "l l" (rank 1) is applied before "l o" (rank 2).
        Assert.Equal(["ll", "o"], tokenizer.Encode("llo", addSpecial: false).Select(tokenizer.TokenText));
        Assert.Equal(["Ġ", "he"], tokenizer.Encode(" he", addSpecial: false).Select(tokenizer.TokenText));
    }

    [Fact]
    public void BytePair_maps_utf8_bytes_to_byte_level_characters()
    {
        var tokenizer = SmallBytePair();
        var ids = tokenizer.Encode("é", addSpecial: false);
        Assert.Equal([TokenizerTestVocab.ByteChar(0xC3).ToString(), TokenizerTestVocab.ByteChar(0xA9).ToString()], ids.Select(tokenizer.TokenText));
        Assert.Equal("é", tokenizer.Decode(ids));
    }

    [Fact]
    public void BytePair_control_tokens_are_parsed_only_on_request_but_user_defined_tokens_always()
    {
        var tokenizer = SmallBytePair();
        var imStart = TokenizerTestVocab.Id(tokenizer, "<|im_start|>");
        var tool = TokenizerTestVocab.Id(tokenizer, "<tool>");
        Assert.Equal(imStart, tokenizer.Encode("<|im_start|>hello", addSpecial: false, parseSpecial: true)[0]);
        Assert.DoesNotContain(imStart, tokenizer.Encode("<|im_start|>hello", addSpecial: false, parseSpecial: false));
        Assert.Contains(tool, tokenizer.Encode("hello<tool>hello", addSpecial: false, parseSpecial: false));
        Assert.Equal("hello", tokenizer.Decode(tokenizer.Encode("<|im_start|>hello", addSpecial: false, parseSpecial: true)));
        Assert.Equal("<|im_start|>hello", tokenizer.Decode(tokenizer.Encode("<|im_start|>hello", false, true), includeSpecial: true));
    }

    [Fact]
    public void Llama3_family_takes_whole_words_from_the_vocabulary_and_adds_bos()
    {
        var llama3 = SmallBytePair("llama-bpe", ("tokenizer.ggml.bos_token_id", 256));
        var gpt2 = SmallBytePair("gpt-2");
        // "world" is a token no merge leads to: llama3 ignores merges for whole words, gpt-2 does not.
        Assert.Equal(["world"], llama3.Encode("world", addSpecial: false).Select(llama3.TokenText));
        Assert.Equal(5, gpt2.Encode("world", addSpecial: false).Length);
        Assert.True(llama3.AddBos);
        Assert.False(gpt2.AddBos);
        Assert.Equal(256, llama3.Encode("world")[0]);
        Assert.False(SmallBytePair("llama3", ("tokenizer.ggml.add_bos_token", false)).AddBos);
    }

    [Fact]
    public void Unknown_pre_tokenizer_is_a_clear_error_listing_the_supported_ones()
    {
        var error = Assert.Throws<TokenizerException>(() => SmallBytePair("no-such-pre"));
        Assert.Contains("no-such-pre", error.Message);
        foreach (var name in new[] { "gpt-2", "llama3", "llama-bpe", "qwen2", "deepseek-llm", "deepseek-coder", "falcon", "starcoder", "smollm" })
            Assert.Contains(name, error.Message);
    }

    [Fact]
    public void Unsupported_tokenizer_model_is_a_clear_error()
    {
        var error = Assert.Throws<TokenizerException>(() => TokenizerTestVocab.Build(("tokenizer.ggml.model", "t5"), ("tokenizer.ggml.tokens", new[] { "a" })));
        Assert.Contains("'t5'", error.Message);
    }

    [Fact]
    public void End_of_generation_includes_eos_and_known_end_of_turn_tokens()
    {
        var tokenizer = TokenizerTestVocab.BytePair("qwen2", [], [("<|endoftext|>", 3), ("<|im_end|>", 3)],
            ("tokenizer.ggml.eos_token_id", 256));
        var imEnd = TokenizerTestVocab.Id(tokenizer, "<|im_end|>");
        Assert.Equal(256, tokenizer.EosId);
        Assert.True(tokenizer.IsEndOfGeneration(256));
        Assert.True(tokenizer.IsEndOfGeneration(imEnd));
        Assert.False(tokenizer.IsEndOfGeneration(65));
    }

    [Fact]
    public void Streaming_decoder_holds_back_an_incomplete_character()
    {
        var tokenizer = SmallSentencePiece();
        var ids = tokenizer.Encode("a🙂", addSpecial: false);
        var decoder = new StreamingDecoder(tokenizer);
        var outputs = ids.Select(decoder.Push).ToList();
        Assert.Equal([" a", "", "", "", "🙂"], outputs);
        Assert.Equal("", decoder.Flush());

        var cut = new StreamingDecoder(tokenizer);
        Assert.Equal("", cut.Push(ByteBase + 0xF0));
        Assert.Equal("\uFFFD", cut.Flush());
    }

    [Fact]
    public void Token_ids_outside_the_vocabulary_are_rejected()
    {
        var tokenizer = SmallSentencePiece();
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([tokenizer.VocabularySize]));
    }
}

public class TokenizerEndOfTurnTests
{
    [Fact]
    public void Known_end_of_turn_texts_become_control_tokens_even_when_stored_as_normal()
    {
        var tokenizer = TokenizerTestVocab.BytePair("gpt-2", [], [("<|im_end|>", 1)]);
        var imEnd = TokenizerTestVocab.Id(tokenizer, "<|im_end|>");
        Assert.Equal(TokenType.Control, tokenizer.GetTokenType(imEnd));
        Assert.Equal([imEnd], tokenizer.Encode("<|im_end|>", addSpecial: false, parseSpecial: true));
        Assert.Equal("", tokenizer.Decode([imEnd]));
    }
}

public class TokenizerSpecialStripTests
{
    [Fact]
    public void Phi3_special_tokens_swallow_the_whitespace_after_them()
    {
        (string, object)[] phi3 = [("general.name", "Phi3")];
        var tokenizer = TokenizerTestVocab.SentencePiece([("▁", -1f), ("a", -2f), ("▁a", -0.5f)], phi3);
        var plain = TokenizerTestVocab.SentencePiece([("▁", -1f), ("a", -2f), ("▁a", -0.5f)]);
        // </s> is a control token here: with parsing, Phi-3 drops the spaces after it; other models keep them.
        Assert.Equal(["</s>", "▁a"], tokenizer.Encode("</s>  a", addSpecial: false, parseSpecial: true).Select(tokenizer.TokenText));
        Assert.Equal(["</s>", "▁", "▁", "▁a"], plain.Encode("</s>  a", addSpecial: false, parseSpecial: true).Select(plain.TokenText));
        // <s> is exempt.
        Assert.Equal(["<s>", "▁", "▁a"], tokenizer.Encode("<s> a", addSpecial: false, parseSpecial: true).Select(tokenizer.TokenText));
    }
}
