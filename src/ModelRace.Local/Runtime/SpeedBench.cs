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
/// a cache sized prompt + generated, emptied before each run, one untimed warm-up run, then the timed repetitions.
/// </summary>
public static class SpeedBench
{
    public static SpeedResult Run(Transformer model, SpeedTest test, int repetitions, int seed = 42, Action<int>? onRepetition = null)
    {
        if (repetitions < 1) throw new ArgumentOutOfRangeException(nameof(repetitions), repetitions, "at least one repetition");
        if ((test.PromptTokens > 0) == (test.GeneratedTokens > 0)) throw new ArgumentException("a test either processes a prompt or generates tokens");
        if (test.Sequences < 1 || test.Sequences > Transformer.MaxBatch) throw new ArgumentException($"between 1 and {Transformer.MaxBatch} sequences");
        var random = new Random(seed);
        // One set of caches and buffers for all runs, cleared in between, as llama-bench reuses its context.
        var caches = new KvCache[test.Sequences];
        for (var i = 0; i < caches.Length; i++) caches[i] = model.CreateCache(test.ContextLength);
        var tokens = new int[Math.Max(test.PromptTokens, test.Sequences)];
        var logits = new float[test.Sequences * model.Config.VocabSize];
        var samples = new List<double>();
        for (var run = -1; run < repetitions; run++)
        {
            foreach (var cache in caches) cache.Clear();
            var seconds = test.PromptTokens > 0 ? ProcessPrompt(model, tokens, caches[0], logits, random) : Generate(model, test.GeneratedTokens, tokens, caches, logits, random);
            if (run < 0) continue;
            samples.Add(test.TokensPerRun / seconds);
            onRepetition?.Invoke(run + 1);
        }
        return new SpeedResult(test, model.ThreadCount, samples);
    }

    private static double ProcessPrompt(Transformer model, int[] prompt, KvCache cache, float[] logits, Random random)
    {
        for (var i = 0; i < prompt.Length; i++) prompt[i] = random.Next(model.Config.VocabSize);
        var clock = Stopwatch.StartNew();
        model.Forward(prompt, cache, logits);
        return clock.Elapsed.TotalSeconds;
    }

    private static double Generate(Transformer model, int steps, int[] tokens, KvCache[] caches, float[] logits, Random random)
    {
        var clock = Stopwatch.StartNew();
        for (var step = 0; step < steps; step++)
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
