using System.Diagnostics;
using ModelRace.Local.Model;

namespace ModelRace.Local.Runtime;

/// <summary>
/// One llama-bench-style test: "pp128" processes a 128-token prompt in one call; "tg64" decodes 64 tokens one step at
/// a time; with <see cref="Sequences"/> above 1, that many sequences decode together in batched steps and the speed is
/// their aggregate.
/// </summary>
public sealed record SpeedTest(int PromptTokens, int GeneratedTokens, int Sequences = 1)
{
    public string Name => (PromptTokens > 0 ? $"pp{PromptTokens}" : $"tg{GeneratedTokens}") + (Sequences > 1 ? $"×{Sequences}" : "");
    public int TokensPerRun => PromptTokens > 0 ? PromptTokens : GeneratedTokens * Sequences;
    /// <summary>Positions in each run's fresh cache.</summary>
    public int ContextLength => Math.Max(PromptTokens + GeneratedTokens, 1);
    /// <summary>Key/value cache memory one run of this test allocates: one cache per sequence.</summary>
    public long CacheBytes(ModelConfig config) => Sequences * KvCache.SizeFor(config, ContextLength);
}

/// <summary>Repeated timings of one test, in tokens per second.</summary>
public sealed record SpeedResult(SpeedTest Test, int Threads, IReadOnlyList<double> Samples)
{
    public double Mean => Samples.Average();

    /// <summary>Sample standard deviation (llama-bench's ± figure); 0 for a single sample.</summary>
    public double StandardDeviation
    {
        get
        {
            if (Samples.Count < 2) return 0;
            var mean = Mean;
            return Math.Sqrt(Samples.Sum(s => (s - mean) * (s - mean)) / (Samples.Count - 1));
        }
    }
}

/// <summary>
/// Measures prompt processing and generation speed the way llama.cpp's llama-bench does: random tokens (no sampling),
/// a fresh cache sized prompt + generated for each run, one untimed warm-up run, then the timed repetitions.
/// </summary>
public static class SpeedBench
{
    public static SpeedResult Run(Transformer model, SpeedTest test, int repetitions, int seed = 42, Action<int>? onRepetition = null)
    {
        if (repetitions < 1) throw new ArgumentOutOfRangeException(nameof(repetitions), repetitions, "at least one repetition");
        if ((test.PromptTokens > 0) == (test.GeneratedTokens > 0)) throw new ArgumentException("a test either processes a prompt or generates tokens");
        if (test.Sequences < 1 || test.Sequences > Transformer.MaxBatch) throw new ArgumentException($"between 1 and {Transformer.MaxBatch} sequences");
        var random = new Random(seed);
        var contextLength = test.ContextLength;
        var samples = new List<double>();
        for (var run = -1; run < repetitions; run++)
        {
            var seconds = test.PromptTokens > 0 ? ProcessPrompt(model, test.PromptTokens, contextLength, random) : Generate(model, test, contextLength, random);
            if (run < 0) continue;
            samples.Add(test.TokensPerRun / seconds);
            onRepetition?.Invoke(run + 1);
        }
        return new SpeedResult(test, model.ThreadCount, samples);
    }

    private static double ProcessPrompt(Transformer model, int tokens, int contextLength, Random random)
    {
        var prompt = new int[tokens];
        for (var i = 0; i < tokens; i++) prompt[i] = random.Next(model.Config.VocabSize);
        var cache = model.CreateCache(contextLength);
        var logits = new float[model.Config.VocabSize];
        var clock = Stopwatch.StartNew();
        model.Forward(prompt, cache, logits);
        return clock.Elapsed.TotalSeconds;
    }

    private static double Generate(Transformer model, SpeedTest test, int contextLength, Random random)
    {
        var caches = new KvCache[test.Sequences];
        for (var i = 0; i < caches.Length; i++) caches[i] = model.CreateCache(contextLength);
        var tokens = new int[test.Sequences];
        var logits = new float[test.Sequences * model.Config.VocabSize];
        var clock = Stopwatch.StartNew();
        for (var step = 0; step < test.GeneratedTokens; step++)
        {
            for (var i = 0; i < tokens.Length; i++) tokens[i] = random.Next(model.Config.VocabSize);
            model.ForwardStep(tokens, caches, logits);
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The most memory this process has held resident so far (VmHWM on Linux), memory-mapped weights that were read
    /// included; null where the platform does not say.
    /// </summary>
    public static long? PeakResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        var peak = process.PeakWorkingSet64;
        return peak > 0 ? peak : null;
    }
}
