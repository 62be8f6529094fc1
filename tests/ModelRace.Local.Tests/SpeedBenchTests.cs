using ModelRace.Local.Gguf;
using ModelRace.Local.Model;
using ModelRace.Local.Runtime;

namespace ModelRace.Local.Tests;

public sealed class SpeedBenchTests
{
    private static readonly TestModelShape Shape = new() { Layers = 2, Heads = 2, KvHeads = 1, HeadDim = 64 };

    [Fact]
    public void Cache_size_counts_float_keys_and_values_of_every_layer_and_position()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(Shape));
        using var model = new Transformer(file, threads: 1);
        const long expected = 2 * 2 * 48 * 64 * sizeof(float); // keys and values × layers × positions × KvDim
        Assert.Equal(expected, model.CreateCache(48).SizeInBytes);
        Assert.Equal(expected, KvCache.SizeFor(model.Config, 48));
        Assert.Equal(3 * KvCache.SizeFor(model.Config, 40), new SpeedTest(0, 40, 3).CacheBytes(model.Config));
        Assert.Equal(32, new SpeedTest(32, 0).ContextLength);
    }

    [Fact]
    public void Run_times_each_repetition_after_a_warm_up_and_names_tests_like_llama_bench()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(Shape));
        using var model = new Transformer(file, threads: 1);
        var reported = new List<int>();
        var prompt = SpeedBench.Run(model, new SpeedTest(8, 0), 3, onRepetition: reported.Add);
        Assert.Equal([1, 2, 3], reported);
        Assert.Equal(3, prompt.Samples.Count);
        Assert.All(prompt.Samples, s => Assert.True(s > 0));
        Assert.Equal("pp8", prompt.Test.Name);

        var batched = SpeedBench.Run(model, new SpeedTest(0, 4, 2), 1);
        Assert.Equal("tg4×2", batched.Test.Name);
        Assert.Equal(8, batched.Test.TokensPerRun);
        Assert.Equal(0, batched.StandardDeviation);
        Assert.Equal(1, batched.Threads);
        Assert.True(SpeedBench.PeakResidentBytes() is null or > 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => SpeedBench.Run(model, new SpeedTest(8, 0), 0));
        Assert.Throws<ArgumentException>(() => SpeedBench.Run(model, new SpeedTest(0, 4, Transformer.MaxBatch + 1), 1));
    }
}
