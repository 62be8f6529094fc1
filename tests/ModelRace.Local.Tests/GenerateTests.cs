using ModelRace.Local.Gguf;
using ModelRace.Local.Model;
using ModelRace.Local.Runtime;
using ModelRace.Local.Sampling;

namespace ModelRace.Local.Tests;

public sealed class GenerateTests
{
    private static Transformer Stories() => Transformer.Load(SharedData.RequireFile("gguf/models/stories260K.gguf"));

    [Fact]
    public void Greedy_generation_streams_the_reference_story_and_stops_at_the_token_limit()
    {
        using var model = Stories();
        var generator = new TextGenerator(model, new TokenPieces(model.File));
        var streamed = new List<string>();
        var result = generator.Generate(new GenerationRequest { PromptTokens = [1], MaxTokens = 20 }, streamed.Add, TestContext.Current.CancellationToken);
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", result.Text);
        Assert.Equal(20, result.Tokens.Count);
        Assert.Equal(GenerationFinishReason.Length, result.FinishReason);
        Assert.Equal(result.Text, string.Concat(streamed));
    }

    [Fact]
    public void A_stop_string_ends_generation_and_is_left_out_of_the_text_and_the_stream()
    {
        using var model = Stories();
        var generator = new TextGenerator(model, new TokenPieces(model.File));
        var streamed = new List<string>();
        var result = generator.Generate(new GenerationRequest { PromptTokens = [1], MaxTokens = 100, StopStrings = ["named Li", "zzz"] }, streamed.Add, TestContext.Current.CancellationToken);
        Assert.Equal("Once upon a time, there was a little girl ", result.Text);
        Assert.Equal(GenerationFinishReason.StopString, result.FinishReason);
        Assert.Equal(result.Text, string.Concat(streamed));
    }

    [Fact]
    public void The_same_seed_generates_the_same_tokens()
    {
        using var model = Stories();
        var generator = new TextGenerator(model, new TokenPieces(model.File));
        var request = new GenerationRequest { PromptTokens = [1], MaxTokens = 30, Sampling = new SamplingOptions { Temperature = 1.2f, Seed = 7 } };
        var first = generator.Generate(request, null, TestContext.Current.CancellationToken);
        Assert.Equal(first.Tokens, generator.Generate(request, null, TestContext.Current.CancellationToken).Tokens);
        Assert.NotEqual(first.Tokens, generator.Generate(request with { Sampling = request.Sampling with { Seed = 8 } }, null, TestContext.Current.CancellationToken).Tokens);
    }

    [Fact]
    public void A_prompt_longer_than_the_context_is_an_error_not_a_truncation()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(new TestModelShape { Layers = 1 }));
        using var model = new Transformer(file);
        var generator = new TextGenerator(model, new TokenPieces(file));
        var error = Assert.Throws<ContextLengthExceededException>(() =>
            generator.Generate(new GenerationRequest { PromptTokens = Enumerable.Repeat(5, 17).ToArray(), ContextLength = 16 }, null, TestContext.Current.CancellationToken));
        Assert.Contains("17 tokens do not fit in the context of 16", error.Message);
        var cache = model.CreateCache(4);
        Assert.Throws<ContextLengthExceededException>(() => model.Forward([1, 2, 3, 4, 5], cache));
        Assert.Equal(0, cache.Length);
    }

    [Fact]
    public void Generation_stops_at_the_end_of_the_context()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(new TestModelShape { Layers = 1 }));
        using var model = new Transformer(file);
        var generator = new TextGenerator(model, new TokenPieces(file) );
        var result = generator.Generate(new GenerationRequest { PromptTokens = [1, 5, 7], MaxTokens = 100, ContextLength = 8,
            Sampling = SamplingOptions.Greedy with { RepetitionPenalty = 1.0f } }, null, TestContext.Current.CancellationToken);
        Assert.True(result.FinishReason is GenerationFinishReason.Length or GenerationFinishReason.EndOfGeneration);
        Assert.True(result.Tokens.Count <= 6, $"{result.Tokens.Count} tokens after a 3-token prompt in a context of 8");
    }

    [Fact]
    public void Log_likelihood_of_continuations_matches_a_full_forward_pass_and_flags_greedy_ones()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(new TestModelShape { Layers = 2 }));
        using var model = new Transformer(file);
        int[] context = [1, 8, 13, 21];
        var greedyContinuation = new List<int>();
        var cache = model.CreateCache(32);
        var logits = model.Forward(context, cache);
        for (var i = 0; i < 3; i++)
        {
            greedyContinuation.Add(Sampler.ArgMax(logits));
            logits = model.Forward([greedyContinuation[^1]], cache);
        }
        IReadOnlyList<int>[] continuations = [[30, 31, 32], greedyContinuation, [9], [44, 45, 46, 47, 48]];

        var scores = LogLikelihood.Score(model, context, continuations);

        Assert.Equal([false, true, false, false], scores.Select(s => s.IsGreedy));
        for (var c = 0; c < continuations.Length; c++)
        {
            var full = context.Concat(continuations[c]).ToArray();
            var all = model.Forward(full, model.CreateCache(32), allLogits: true);
            var vocab = model.Config.VocabSize;
            for (var i = 0; i < continuations[c].Count; i++)
            {
                var row = all.AsSpan((context.Length - 1 + i) * vocab, vocab).ToArray();
                var max = row.Max();
                var expected = row[continuations[c][i]] - max - Math.Log(row.Sum(v => Math.Exp(v - max)));
                Assert.Equal(expected, scores[c].TokenLogProbabilities[i], 3);
            }
            Assert.True(scores[c].Total < 0);
        }
    }
}
