using System.Text;
using BenchmarkDotNet.Attributes;
using ModelRace.Local.Tokenizers;

namespace ModelRace.Benchmarks;

/// <summary>
/// Tokenizing 1 MB of mixed English, Chinese and code with llama.cpp's test vocabularies from ../shared/gguf/vocab
/// (or $MODELRACE_SHARED). MB/s = 1 / mean seconds.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private ITokenizer _tokenizer = null!;
    private string _text = "";

    [Params("llama-spm", "phi-3", "gpt-2", "falcon")]
    public string Vocab { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = Tokenizer.FromGguf(Path.Combine(SharedDirectory(), "gguf", "vocab", $"ggml-vocab-{Vocab}.gguf"));
        _text = MixedText.Generate(1 << 20);
        Console.WriteLine($"// {Vocab}: {Encoding.UTF8.GetByteCount(_text)} bytes -> {_tokenizer.Encode(_text, false).Length} tokens");
    }

    [Benchmark]
    public int EncodeOneMegabyte() => _tokenizer.Encode(_text, addSpecial: false).Length;

    private static string SharedDirectory()
    {
        if (Environment.GetEnvironmentVariable("MODELRACE_SHARED") is { Length: > 0 } fromEnv) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "shared", "README.md"))) return Path.Combine(dir.FullName, "shared");
            if (File.Exists(Path.Combine(dir.FullName, "..", "shared", "README.md")) && File.Exists(Path.Combine(dir.FullName, "ModelRace.slnx")))
                return Path.Combine(dir.FullName, "..", "shared");
        }
        throw new InvalidOperationException("cannot find shared/ (llama.cpp's vocab files); set MODELRACE_SHARED");
    }
}
