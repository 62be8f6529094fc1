using ModelRace.Local.Gguf;
using ModelRace.Local.Model;

namespace ModelRace.Local.Tests;

/// <summary>The cache grows as positions arrive; growing must lose nothing, and a prompt must give the same bits however it is fed.</summary>
public sealed class KvCacheGrowthTests
{
    private static readonly TestModelShape Shape = new() { Layers = 2, Heads = 2, KvHeads = 1, HeadDim = 64, WeightType = GgmlType.Q8_0 };

    [Fact]
    public void A_long_context_cache_starts_small_and_grows_only_as_positions_arrive()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(Shape));
        using var model = new Transformer(file, threads: 2);
        var cache = model.CreateCache(1000);
        Assert.Equal(256, cache.Capacity);
        Assert.Equal(KvCache.SizeFor(model.Config, 256), cache.SizeInBytes);
        model.Forward(Enumerable.Range(0, 300).Select(i => i % model.Config.VocabSize).ToArray(), cache);
        Assert.Equal(512, cache.Capacity);
        Assert.Equal(300, cache.Length);
    }

    [Fact]
    public void Feeding_tokens_one_at_a_time_across_growth_gives_the_bits_of_one_batched_call()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(Shape));
        using var model = new Transformer(file, threads: 2);
        var tokens = Enumerable.Range(0, 300).Select(i => (i * 7 + 3) % model.Config.VocabSize).ToArray();

        var batched = model.Forward(tokens, model.CreateCache(1000));
        var stepwise = model.CreateCache(1000);
        float[] last = [];
        foreach (var token in tokens) last = model.Forward([token], stepwise);

        Assert.Equal(batched.Select(BitConverter.SingleToUInt32Bits), last.Select(BitConverter.SingleToUInt32Bits));
        // A clone keeps the grown capacity and every position.
        var fork = stepwise.Clone();
        Assert.Equal(stepwise.Capacity, fork.Capacity);
        Assert.Equal(model.Forward([5], stepwise).Select(BitConverter.SingleToUInt32Bits), model.Forward([5], fork).Select(BitConverter.SingleToUInt32Bits));
    }

    [Fact]
    public void A_disposed_model_refuses_work_instead_of_reading_unmapped_weights()
    {
        var file = GgufFile.FromBytes(ModelTestFiles.Build(Shape));
        var model = new Transformer(file, ownsFile: true, threads: 2);
        var cache = model.CreateCache(16);
        model.Dispose();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.Forward([1], cache));
        Assert.Throws<ObjectDisposedException>(() => model.ForwardStep([1], [cache]));
    }
}

