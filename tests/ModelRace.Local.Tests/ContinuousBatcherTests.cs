using Microsoft.Extensions.AI;
using ModelRace.Local.Gguf;
using ModelRace.Local.Model;
using ModelRace.Local.Runtime;
using ModelRace.Local.Sampling;
using ModelRace.Local.Tokenizers;

namespace ModelRace.Local.Tests;

/// <summary>
/// Continuous batching: requests that decode together get exactly the tokens and text they get alone, join and leave
/// between steps, and finish, fail or are cancelled one by one. Joins and cancellations are triggered from the text
/// callbacks (which run between steps on the decoding thread), so every check is deterministic.
/// </summary>
public sealed class ContinuousBatcherTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private sealed class Stories : IDisposable
    {
        public Transformer Model { get; } = Transformer.Load(SharedData.RequireFile("gguf/models/stories260K.gguf"));
        public TokenPieces Pieces { get; }
        private readonly ITokenizer _tokenizer;

        public Stories()
        {
            Pieces = new TokenPieces(Model.File);
            _tokenizer = Tokenizer.FromGguf(Model.File);
        }

        public GenerationRequest Request(string prompt, int maxTokens = 24) =>
            new() { PromptTokens = _tokenizer.Encode(prompt), MaxTokens = maxTokens, ContextLength = 256 };

        public GenerationResult Alone(GenerationRequest request) => new TextGenerator(Model, Pieces).Generate(request, null, Cancellation);

        public void Dispose() => Model.Dispose();
    }

    private static readonly string[] Prompts = ["Once upon a time", "The little dog", "Lily went to the park and", "Tom had a big red ball. He"];

    private static void AssertSameGeneration(GenerationResult expected, GenerationResult actual)
    {
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.Text, actual.Text);
        Assert.Equal(expected.FinishReason, actual.FinishReason);
    }

    [Fact]
    public async Task Four_concurrent_greedy_requests_give_the_tokens_each_gives_alone()
    {
        using var stories = new Stories();
        var requests = Prompts.Select(p => stories.Request(p, maxTokens: 40)).ToArray();
        var alone = requests.Select(stories.Alone).ToArray();
        using var batcher = new ContinuousBatcher(stories.Model, stories.Pieces);
        var streamed = requests.Select(_ => new List<string>()).ToArray();
        var together = await Task.WhenAll(requests.Select((r, i) => batcher.GenerateAsync(r, streamed[i].Add, Cancellation)));
        for (var i = 0; i < requests.Length; i++)
        {
            AssertSameGeneration(alone[i], together[i]);
            Assert.Equal(together[i].Text, string.Concat(streamed[i]));
            Assert.Equal(requests[i].PromptTokens, together[i].PromptTokens);
        }
        Assert.Equal(4, alone.Select(r => r.Text).Distinct().Count());
    }

    [Fact]
    public async Task Seeded_sampling_gives_the_same_tokens_batched_as_alone()
    {
        using var file = GgufFile.FromBytes(ModelTestFiles.Build(new TestModelShape { Layers = 2 }));
        using var model = new Transformer(file);
        var pieces = new TokenPieces(file);
        var requests = Enumerable.Range(0, 5).Select(i => new GenerationRequest
        {
            PromptTokens = [1, 5 + i, 9, 20 + 3 * i],
            MaxTokens = 30 + i,
            ContextLength = 64,
            Sampling = new SamplingOptions { Temperature = 1.1f, TopK = 0, MinP = 0, Seed = 100 + i, RepetitionPenalty = 1.1f },
        }).ToArray();
        var alone = requests.Select(r => new TextGenerator(model, pieces).Generate(r, null, Cancellation)).ToArray();
        // A prompt chunk of 3 tokens also makes each prompt take two steps while others decode.
        using var batcher = new ContinuousBatcher(model, pieces, maxSequences: 4, promptChunk: 3);
        var together = await Task.WhenAll(requests.Select(r => batcher.GenerateAsync(r, null, Cancellation)));
        for (var i = 0; i < requests.Length; i++) AssertSameGeneration(alone[i], together[i]);
    }

    [Fact]
    public async Task Requests_joining_while_others_decode_get_their_own_answers()
    {
        using var stories = new Stories();
        var first = stories.Request(Prompts[0], maxTokens: 60);
        var joiners = Prompts.Skip(1).Select(p => stories.Request(p, maxTokens: 20)).ToArray();
        using var batcher = new ContinuousBatcher(stories.Model, stories.Pieces);
        var pieces = 0;
        var joined = new List<Task<GenerationResult>>();
        var maxActive = 0;
        var firstTask = batcher.GenerateAsync(first, _ =>
        {
            maxActive = Math.Max(maxActive, batcher.ActiveSequences);
            // Each of the others joins a few tokens after the one before it.
            if (++pieces % 5 == 0 && joined.Count < joiners.Length) joined.Add(batcher.GenerateAsync(joiners[joined.Count], null, Cancellation));
        }, Cancellation);
        var firstResult = await firstTask;
        var joinedResults = await Task.WhenAll(joined);
        AssertSameGeneration(stories.Alone(first), firstResult);
        Assert.Equal(joiners.Length, joinedResults.Length);
        for (var i = 0; i < joiners.Length; i++) AssertSameGeneration(stories.Alone(joiners[i]), joinedResults[i]);
        Assert.True(maxActive >= 2, $"at most {maxActive} sequence(s) were active at once");
    }

    [Fact]
    public async Task Cancelling_one_request_midway_leaves_the_others_to_finish()
    {
        using var stories = new Stories();
        var requests = Prompts.Take(3).Select(p => stories.Request(p, maxTokens: 50)).ToArray();
        using var batcher = new ContinuousBatcher(stories.Model, stories.Pieces);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var cancelledPieces = 0;
        var tasks = new[]
        {
            batcher.GenerateAsync(requests[0], null, Cancellation),
            batcher.GenerateAsync(requests[1], _ => { if (++cancelledPieces == 5) cancel.Cancel(); }, cancel.Token),
            batcher.GenerateAsync(requests[2], null, Cancellation),
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tasks[1]);
        Assert.Equal(5, cancelledPieces);
        AssertSameGeneration(stories.Alone(requests[0]), await tasks[0]);
        AssertSameGeneration(stories.Alone(requests[2]), await tasks[2]);
    }

    [Fact]
    public async Task Stop_strings_and_token_limits_apply_to_each_request_alone()
    {
        using var stories = new Stories();
        using var batcher = new ContinuousBatcher(stories.Model, stories.Pieces);
        var bos = new GenerationRequest { PromptTokens = [1], MaxTokens = 100, ContextLength = 256 };
        var streamed = new List<string>();
        var stopped = batcher.GenerateAsync(bos with { StopStrings = ["named Li", "zzz"] }, streamed.Add, Cancellation);
        var limited = batcher.GenerateAsync(bos with { MaxTokens = 7 }, null, Cancellation);
        var nothing = batcher.GenerateAsync(bos with { MaxTokens = 0 }, null, Cancellation);
        var longer = batcher.GenerateAsync(stories.Request(Prompts[2], maxTokens: 30), null, Cancellation);

        var stop = await stopped;
        Assert.Equal("Once upon a time, there was a little girl ", stop.Text);
        Assert.Equal(GenerationFinishReason.StopString, stop.FinishReason);
        Assert.Equal(stop.Text, string.Concat(streamed));
        var limit = await limited;
        Assert.Equal(7, limit.Tokens.Count);
        Assert.Equal(GenerationFinishReason.Length, limit.FinishReason);
        Assert.StartsWith(limit.Text, stop.Text);
        Assert.Empty((await nothing).Tokens);
        Assert.Equal(30, (await longer).Tokens.Count);
    }

    [Fact]
    public async Task Requests_beyond_the_bound_wait_and_all_complete()
    {
        using var stories = new Stories();
        var requests = Enumerable.Range(0, 7).Select(i => stories.Request(Prompts[i % Prompts.Length], maxTokens: 15 + i)).ToArray();
        using var batcher = new ContinuousBatcher(stories.Model, stories.Pieces, maxSequences: 2);
        var observed = new List<int>();
        var rest = new List<Task<GenerationResult>>();
        // The rest are queued from the first one's first text, so all seven are waiting before the next step.
        var first = batcher.GenerateAsync(requests[0], _ =>
        {
            if (rest.Count == 0) rest.AddRange(requests.Skip(1).Select(r => batcher.GenerateAsync(r, _ => observed.Add(batcher.ActiveSequences), Cancellation)));
        }, Cancellation);
        GenerationResult[] results = [await first, .. await Task.WhenAll(rest)];
        for (var i = 0; i < requests.Length; i++) AssertSameGeneration(stories.Alone(requests[i]), results[i]);
        Assert.Equal(2, observed.Max());
        Assert.Equal(0, batcher.ActiveSequences);
    }

    [Fact]
    public async Task A_failing_request_fails_alone()
    {
        using var stories = new Stories();
        using var batcher = new ContinuousBatcher(stories.Model, stories.Pieces);
        var good = stories.Request(Prompts[0]);
        var tasks = new[]
        {
            batcher.GenerateAsync(good, null, Cancellation),
            // The model refuses a token id outside its vocabulary when it reads the prompt.
            batcher.GenerateAsync(good with { PromptTokens = [1, stories.Model.Config.VocabSize + 5] }, null, Cancellation),
            batcher.GenerateAsync(good, _ => throw new InvalidOperationException("the reader went away"), Cancellation),
            batcher.GenerateAsync(good, null, Cancellation),
        };
        await Assert.ThrowsAnyAsync<ArgumentException>(() => tasks[1]);
        Assert.Equal("the reader went away", (await Assert.ThrowsAsync<InvalidOperationException>(() => tasks[2])).Message);
        var alone = stories.Alone(good);
        AssertSameGeneration(alone, await tasks[0]);
        AssertSameGeneration(alone, await tasks[3]);
    }

    [Fact]
    public async Task Bad_requests_are_refused_before_they_queue()
    {
        using var stories = new Stories();
        using var batcher = new ContinuousBatcher(stories.Model, stories.Pieces);
        Assert.Throws<ArgumentException>(() => { _ = batcher.GenerateAsync(new GenerationRequest { PromptTokens = [] }, null, Cancellation); });
        Assert.Throws<ContextLengthExceededException>(() => { _ = batcher.GenerateAsync(stories.Request(Prompts[3]) with { ContextLength = 3 }, null, Cancellation); });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ContinuousBatcher(stories.Model, stories.Pieces, maxSequences: Transformer.MaxBatch + 1));
        Assert.NotEmpty((await batcher.GenerateAsync(stories.Request(Prompts[0], maxTokens: 3), null, Cancellation)).Tokens);
    }

    [Fact]
    public async Task Disposing_fails_running_and_queued_requests()
    {
        using var stories = new Stories();
        var batcher = new ContinuousBatcher(stories.Model, stories.Pieces, maxSequences: 1);
        Task<GenerationResult>? queued = null;
        var running = batcher.GenerateAsync(stories.Request(Prompts[0], maxTokens: 100), _ =>
        {
            queued ??= batcher.GenerateAsync(stories.Request(Prompts[1]), null, Cancellation);
            batcher.Dispose();
        }, Cancellation);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => running);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued!);
        Assert.Throws<ObjectDisposedException>(() => { _ = batcher.GenerateAsync(stories.Request(Prompts[1]), null, Cancellation); });
        batcher.Dispose();
    }

    [Fact]
    public async Task Exclusive_work_runs_between_steps_and_leaves_the_generations_around_it_unchanged()
    {
        using var stories = new Stories();
        int[] context = [1, 400, 29, 300];
        IReadOnlyList<int>[] continuations = [[50, 60], [70]];
        var direct = LogLikelihood.Score(stories.Model, context, continuations, 16).Select(s => s.Total).ToArray();
        var requests = Prompts.Take(2).Select(p => stories.Request(p, maxTokens: 30)).ToArray();
        var alone = requests.Select(stories.Alone).ToArray();
        using var batcher = new ContinuousBatcher(stories.Model, stories.Pieces);

        // Queued from a text callback, i.e. while both requests are mid-decode; it runs before their next step.
        Task<double[]>? scored = null;
        var first = batcher.GenerateAsync(requests[0], _ => scored ??= batcher.RunExclusiveAsync(
            model => LogLikelihood.Score(model, context, continuations, 16).Select(s => s.Total).ToArray(), Cancellation), Cancellation);
        var second = batcher.GenerateAsync(requests[1], null, Cancellation);
        var together = await Task.WhenAll(first, second);

        Assert.Equal(direct, await scored!);
        AssertSameGeneration(alone[0], together[0]);
        AssertSameGeneration(alone[1], together[1]);
        var failing = batcher.RunExclusiveAsync<int>(_ => throw new InvalidOperationException("boom"), Cancellation);
        Assert.Equal("boom", (await Assert.ThrowsAsync<InvalidOperationException>(() => failing)).Message);
    }

    [Fact]
    public async Task Exclusive_work_still_queued_at_dispose_fails()
    {
        using var stories = new Stories();
        var batcher = new ContinuousBatcher(stories.Model, stories.Pieces);
        Task<int>? queued = null;
        // Both from the decoding thread: the loop stops after this step, before it would run the queued work.
        var running = batcher.GenerateAsync(stories.Request(Prompts[0], maxTokens: 30), _ =>
        {
            if (queued is not null) return;
            queued = batcher.RunExclusiveAsync(_ => 1, Cancellation);
            batcher.Dispose();
        }, Cancellation);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => running);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued!);
        Assert.Throws<ObjectDisposedException>(() => { _ = batcher.RunExclusiveAsync(_ => 1, Cancellation); });
        batcher.Dispose();
    }

    [Fact]
    public async Task The_local_client_scores_choices_as_lm_evaluation_harness_tokenizes_them()
    {
        var path = SharedData.RequireFile("gguf/models/stories260K.gguf");
        using var client = LocalChatClient.Open(path, useChatTemplate: false);
        var model = Assert.IsType<LocalChatClient>(((IChatClient)client).GetService(typeof(ModelRace.Core.Race.ILogLikelihoodModel)));
        using var stories = new Stories();
        var tokenizer = Tokenizer.FromGguf(stories.Model.File);

        // The context's trailing space moves to the continuations; each continuation is what context + it adds.
        var scores = await model.ScoreContinuationsAsync("Once upon a time ", ["there was a cat", "xylophone"], Cancellation);

        var contextTokens = tokenizer.Encode("Once upon a time");
        IReadOnlyList<int>[] continuations =
        [
            tokenizer.Encode("Once upon a time there was a cat")[contextTokens.Length..],
            tokenizer.Encode("Once upon a time xylophone")[contextTokens.Length..],
        ];
        var expected = LogLikelihood.Score(stories.Model, contextTokens, continuations, 64).Select(s => s.Total);
        Assert.Equal(expected, scores);
        Assert.True(scores[0] > scores[1], "a story model should find the story ending likelier");
        await Assert.ThrowsAsync<ArgumentException>(() => model.ScoreContinuationsAsync("Once upon a time", [""], Cancellation));
    }
}
