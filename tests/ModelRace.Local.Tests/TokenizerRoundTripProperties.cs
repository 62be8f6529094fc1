using System.Text;
using FsCheck;
using FsCheck.Fluent;
using ModelRace.Local.Tokenizers;

namespace ModelRace.Local.Tests;

/// <summary>decode(encode(s)) == s on real vocabularies, for random text mixing scripts, symbols and whitespace.</summary>
public class TokenizerRoundTripProperties
{
    private static readonly (int From, int To)[] Ranges =
    [
        (0x20, 0x7E), (0x20, 0x7E), (0x20, 0x7E), (0x09, 0x0D), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x600, 0x6FF),
        (0x900, 0x97F), (0x2000, 0x206F), (0x3000, 0x303F), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0x1F300, 0x1F64F), (0x1D400, 0x1D7FF),
    ];

    private static Arbitrary<string> Texts()
    {
        var codepoint = Gen.Choose(0, Ranges.Length - 1).SelectMany(r => Gen.Choose(Ranges[r].From, Ranges[r].To));
        return Gen.ArrayOf(codepoint)
            .Select(cps => string.Concat(cps.Where(cp => cp != 0x2581).Select(char.ConvertFromUtf32)))
            .ToArbitrary();
    }

    [Theory]
    [InlineData("gpt-2")]
    [InlineData("falcon")]
    [InlineData("llama-spm")]
    public void Decode_of_encode_gives_the_text_back(string vocab)
    {
        var path = SharedData.RequireFile($"gguf/vocab/ggml-vocab-{vocab}.gguf");
        var tokenizer = Tokenizer.FromGguf(path);
        var spellable = SpellableBytes(tokenizer);
        // llama.cpp drops bytes a byte-level vocabulary has no token for (Falcon lacks a few control bytes), so the
        // property covers the texts the vocabulary can spell.
        Prop.ForAll(Texts(), text => !Encoding.UTF8.GetBytes(text).All(b => spellable[b]) || tokenizer.Decode(tokenizer.Encode(text, addSpecial: true)) == text)
            .Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    private static bool[] SpellableBytes(ITokenizer tokenizer)
    {
        if (tokenizer.Kind == TokenizerKind.SentencePiece) return Enumerable.Repeat(true, 256).ToArray();
        var texts = Enumerable.Range(0, tokenizer.VocabularySize).Select(tokenizer.TokenText).ToHashSet();
        return Enumerable.Range(0, 256).Select(b => texts.Contains(TokenizerTestVocab.ByteChar(b).ToString())).ToArray();
    }

    [Fact]
    public void Streaming_decode_equals_whole_decode()
    {
        var path = SharedData.RequireFile("gguf/vocab/ggml-vocab-gpt-2.gguf");
        var tokenizer = Tokenizer.FromGguf(path);
        Prop.ForAll(Texts(), text =>
        {
            var decoder = new StreamingDecoder(tokenizer);
            var streamed = new StringBuilder();
            foreach (var id in tokenizer.Encode(text, addSpecial: false)) streamed.Append(decoder.Push(id));
            streamed.Append(decoder.Flush());
            return streamed.ToString() == text;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }
}
