using ModelRace.Local.Tokenizers;

namespace ModelRace.Local.Tests;

/// <summary>How each pre-tokenizer cuts text into words, worked out by hand from llama.cpp's patterns.</summary>
public class TokenizerPreTokenizerTests
{
    [Theory]
    [InlineData("gpt-2", "Hello world's  123!!", new[] { "Hello", " world", "'s", " ", " 123", "!!" })]
    [InlineData("gpt-2", "a\u3000\u3000b", new[] { "a", "\u3000", "\u3000", "b" })]
    [InlineData("gpt-2", "I'M", new[] { "I", "'", "M" })]
    [InlineData("llama3", "HELLO'S 1234567\n\n", new[] { "HELLO", "'S", " ", "123", "456", "7", "\n\n" })]
    [InlineData("llama-bpe", "𝐀𝐁c 12", new[] { "𝐀𝐁c", " ", "12" })]
    [InlineData("llama3", "a  \n b", new[] { "a", "  \n", " b" })]
    [InlineData("qwen2", "abc 123", new[] { "abc", " ", "1", "2", "3" })]
    [InlineData("qwen2", "你好，世界", new[] { "你好", "，世界" })]
    [InlineData("deepseek-coder", "ab12\ncd", new[] { "ab", "1", "2", "\n", "cd" })]
    // Each pattern re-splits every piece, and DeepSeek's ASCII punctuation range :-~ also spans the letters.
    [InlineData("deepseek-llm", "Ünïcode 123", new[] { "Ü", "n", "ï", "code", " ", "123" })]
    [InlineData("deepseek-llm", "Ωμέγα", new[] { "Ωμέγα" })]
    [InlineData("deepseek-llm", "a  ", new[] { "a", "  " })]
    [InlineData("falcon", "hello...world 1234", new[] { "hello", "...", "world", " ", "123", "4" })]
    [InlineData("starcoder", "x 42", new[] { "x", " ", "4", "2" })]
    [InlineData("smollm", "x 42", new[] { "x", " ", "4", "2" })]
    [InlineData("default", "a+b", new[] { "a", "+", "b" })]
    public void Splits_like_llama_cpp(string pre, string text, string[] expected)
    {
        Assert.Equal(expected, PreTokenizer.ForName(pre).Split(text));
    }

    [Fact]
    public void Every_supported_pre_tokenizer_compiles_and_keeps_all_text()
    {
        const string text = "Hello, world! 123 4567 — «ok» 你好 🙂 'll\r\n\t x  y ÀÉ";
        foreach (var name in PreTokenizer.SupportedNames)
            Assert.Equal(text, string.Concat(PreTokenizer.ForName(name).Split(text)));
    }

    [Fact]
    public void Missing_pre_tokenizer_means_llama_cpp_default()
    {
        Assert.Same(PreTokenizer.Default, PreTokenizer.ForName(null));
    }
}
