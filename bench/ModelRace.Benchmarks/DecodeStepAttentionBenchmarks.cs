using BenchmarkDotNet.Attributes;
using ModelRace.Local.Gguf;
using ModelRace.Local.Model;
using ModelRace.Local.Synth;

namespace ModelRace.Benchmarks;

/// <summary>
/// One decode step of a tiny synthesized Q8_0 llama (dim 256, 4 layers, 4 heads, 2 KV heads, 1000-token vocabulary)
/// at an empty cache and at a cache already holding <see cref="ContextLength"/> positions. The weights are the same
/// at both lengths, so the difference between the two rows is the attention cost of that context. Attention itself is
/// internal to the transformer; this is the narrowest public way to time it.
/// </summary>
[MemoryDiagnoser]
public class DecodeStepAttentionBenchmarks
{
    private const int Sequences = 4;
    private DirectoryInfo _directory = null!;
    private Transformer _model = null!;
    private KvCache[] _caches = [];
    private readonly int[] _tokens = [17, 42, 99, 123];
    private float[] _logits = [];

    [Params(0, 500)]
    public int ContextLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("modelrace-bench-");
        var path = Path.Combine(_directory.FullName, "tiny.gguf");
        using (var vocabulary = GgufFile.Open(WriteVocabulary(Path.Combine(_directory.FullName, "vocab.gguf"), tokens: 1000)))
        {
            var spec = new SynthSpec
            {
                EmbeddingLength = 256, Layers = 4, Heads = 4, KvHeads = 2, FeedForwardLength = 768, WeightType = GgmlType.Q8_0,
            };
            ModelSynthesizer.WriteFile(spec, vocabulary, path);
        }
        // One thread: the step is small, and a second thread would time the pool's hand-offs more than attention.
        _model = Transformer.Load(path, threads: 1);
        _logits = new float[Sequences * _model.Config.VocabSize];
        var prefilled = _model.CreateCache(ContextLength + 1);
        if (ContextLength > 0)
        {
            var prompt = new int[ContextLength];
            for (var i = 0; i < prompt.Length; i++) prompt[i] = 3 + i % 900;
            _model.Forward(prompt, prefilled, _logits);
        }
        _caches = [prefilled, .. Enumerable.Range(1, Sequences - 1).Select(_ => prefilled.Clone())];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _directory.Delete(recursive: true);
    }

    /// <summary>One sequence, one new token at position <see cref="ContextLength"/>.</summary>
    [Benchmark(Baseline = true)]
    public void OneSequence()
    {
        _caches[0].Truncate(ContextLength);
        _model.Forward(_tokens.AsSpan(0, 1), _caches[0], _logits);
    }

    /// <summary>Four sequences stepping together (<see cref="Transformer.ForwardStep(ReadOnlySpan{int}, IReadOnlyList{KvCache}, Span{float})"/>).</summary>
    [Benchmark]
    public void FourSequences()
    {
        foreach (var cache in _caches) cache.Truncate(ContextLength);
        _model.ForwardStep(_tokens, _caches, _logits);
    }

    /// <summary>A vocabulary of placeholder tokens: the synthesizer takes only the token list from it.</summary>
    private static string WriteVocabulary(string path, int tokens)
    {
        using var writer = new GgufWriter(File.Create(path));
        writer.AddMetadata("tokenizer.ggml.tokens", GgufValue.ArrayOf(GgufValueType.String, Enumerable.Range(0, tokens).Select(i => (object)$"t{i}")));
        writer.Finish();
        return path;
    }
}
