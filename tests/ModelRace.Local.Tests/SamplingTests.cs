using ModelRace.Local.Sampling;

namespace ModelRace.Local.Tests;

public sealed class SamplingTests
{
    private static float[] Logits(params double[] probabilities) => probabilities.Select(p => (float)Math.Log(p)).ToArray();

    private static int[] Draw(SamplingOptions options, float[] logits, int count, IReadOnlyList<int>? previous = null)
    {
        var sampler = new Sampler(options);
        return Enumerable.Range(0, count).Select(_ => sampler.Sample((float[])logits.Clone(), previous ?? [])).ToArray();
    }

    private static readonly SamplingOptions Plain = new() { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 42 };

    [Fact]
    public void Greedy_picks_the_largest_logit()
    {
        Assert.All(Draw(SamplingOptions.Greedy, [0.1f, 3f, -2f, 2.9f], 20), t => Assert.Equal(1, t));
    }

    [Fact]
    public void The_same_seed_gives_the_same_tokens_and_another_seed_other_tokens()
    {
        var logits = Logits(0.2, 0.2, 0.2, 0.2, 0.2);
        var first = Draw(Plain, logits, 200);
        Assert.Equal(first, Draw(Plain, logits, 200));
        Assert.NotEqual(first, Draw(Plain with { Seed = 43 }, logits, 200));
    }

    [Fact]
    public void Draws_follow_the_softmax_distribution()
    {
        var tokens = Draw(Plain, Logits(0.7, 0.3), 5000);
        Assert.InRange(tokens.Count(t => t == 0) / 5000.0, 0.67, 0.73);
    }

    [Fact]
    public void Low_temperature_sharpens_and_high_temperature_flattens()
    {
        var logits = Logits(0.6, 0.4);
        Assert.True(Draw(Plain with { Temperature = 0.2f }, logits, 2000).Count(t => t == 0) > 1700); // p = 0.88 at T = 0.2
        Assert.InRange(Draw(Plain with { Temperature = 20f }, logits, 4000).Count(t => t == 0) / 4000.0, 0.47, 0.55);
    }

    [Fact]
    public void Top_k_keeps_only_the_k_most_likely()
    {
        Assert.All(Draw(Plain with { TopK = 2 }, Logits(0.3, 0.1, 0.35, 0.25), 500), t => Assert.Contains(t, new[] { 0, 2 }));
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_p()
    {
        // 0.5 + 0.3 ≥ 0.75, so token 2 (0.2) never appears.
        var tokens = Draw(Plain with { TopP = 0.75f }, Logits(0.5, 0.3, 0.2), 1000);
        Assert.DoesNotContain(2, tokens);
        Assert.Contains(1, tokens);
    }

    [Fact]
    public void Min_p_drops_tokens_far_below_the_best()
    {
        var tokens = Draw(Plain with { MinP = 0.3f }, Logits(0.5, 0.4, 0.1), 1000);
        Assert.DoesNotContain(2, tokens);
        Assert.Contains(1, tokens);
    }

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_of_recent_tokens()
    {
        var sampler = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 1.25f });
        float[] logits = [2f, 1.9f, -1f];
        Assert.Equal(1, sampler.Sample(logits, [0, 2]));
        Assert.Equal(1.6f, logits[0], 5);
        Assert.Equal(-1.25f, logits[2], 5);
    }

    [Fact]
    public void Frequency_penalty_counts_occurrences_and_presence_penalty_does_not()
    {
        float[] logits = [5f, 4f];
        new Sampler(SamplingOptions.Greedy with { FrequencyPenalty = 0.5f }).Sample(logits, [0, 0, 0]);
        Assert.Equal(3.5f, logits[0], 5);
        logits = [5f, 4f];
        new Sampler(SamplingOptions.Greedy with { PresencePenalty = 0.5f }).Sample(logits, [0, 0, 0]);
        Assert.Equal(4.5f, logits[0], 5);
    }

    [Fact]
    public void Penalties_only_look_at_the_window()
    {
        float[] logits = [5f, 4f];
        new Sampler(SamplingOptions.Greedy with { PresencePenalty = 2f, PenaltyWindow = 1 }).Sample(logits, [0, 1]);
        Assert.Equal(5f, logits[0]);
        Assert.Equal(2f, logits[1]);
    }

    [Theory]
    [InlineData(-1f, 40, 0.9f, 0f)]
    [InlineData(1f, -1, 0.9f, 0f)]
    [InlineData(1f, 40, 0f, 0f)]
    [InlineData(1f, 40, 1.5f, 0f)]
    [InlineData(1f, 40, 0.9f, 2f)]
    public void Invalid_options_are_refused(float temperature, int topK, float topP, float minP)
    {
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP }));
    }
}
