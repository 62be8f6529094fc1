using Microsoft.Extensions.AI;
using ModelRace.Core.Catalog;
using ModelRace.Core.Endpoints;
using ModelRace.Core.Race;
using ModelRace.Race.Results;
using ModelRace.Race.Running;
using ModelRace.Race.Scoring;
using ModelRace.Storage;

namespace ModelRace.Race.Tests;

public class RunnerTests
{
    private static readonly PriceSheet Prices = new() { Currency = "USD", InputPerMillion = 1m, OutputPerMillion = 2m, Source = new Source("https://example.com/prices", null) };

    /// <summary>Item i asks for i * 3 and is right when the reply ends with that number.</summary>
    public static Suite ArithmeticSuite(int count) => new()
    {
        Name = "arith",
        SystemPrompt = "Answer with a number.",
        Items = Enumerable.Range(1, count).Select(i => new SuiteItem
        {
            Id = $"q{i:00}", Messages = [new ChatTurn("user", $"What is {i} times 3?")], Answers = [(i * 3).ToString(System.Globalization.CultureInfo.InvariantCulture)],
            Scorer = "numeric", Category = i % 2 == 0 ? "even" : "odd",
        }).ToList(),
    };

    public static string RightAnswer(string prompt)
    {
        var n = int.Parse(prompt.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        return $"<think>{n} plus {n} plus {n}</think>It is {n * 3}.";
    }

    private static Contestant Contestant(FakeOpenAiServer server, string name, bool open = false) =>
        new(new ContestantInfo { Name = name, Endpoint = server.BaseUrl, Model = name, OpenWeights = open, Prices = Prices },
            OpenAiEndpointResolver.CreateClient(new Uri(server.BaseUrl), name, "test-key"));

    private sealed class Immediate<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }

    [Fact]
    public async Task RanksRightAboveWrongCountsErrorsApartAndPricesTokens()
    {
        await using var good = await FakeOpenAiServer.StartAsync((_, p) => new FakeReply(RightAnswer(p), PromptTokens: 100, CompletionTokens: 20));
        await using var bad = await FakeOpenAiServer.StartAsync((_, _) => new FakeReply("It is 1000001."));
        await using var flaky = await FakeOpenAiServer.StartAsync((call, p) => call % 3 == 0 ? new FakeReply("overloaded", 500) : new FakeReply(RightAnswer(p)));
        await using var slow = await FakeOpenAiServer.StartAsync((_, p) => new FakeReply(RightAnswer(p), Delay: TimeSpan.FromMilliseconds(150)));
        var suite = ArithmeticSuite(12);
        var store = new InMemoryRaceStore();
        var runner = new RaceRunner(store, new ScorerRegistry());

        var run = await runner.RunAsync(suite, [Contestant(good, "good"), Contestant(bad, "bad", open: true), Contestant(flaky, "flaky"), Contestant(slow, "slow")],
            new RaceOptions { Concurrency = 3 }, null, default);

        Assert.Equal(RunStatus.Completed, run.Status);
        var responses = await store.LoadResponsesAsync(run.Id, default);
        Assert.Equal(48, responses.Count);
        var rows = Leaderboard.Build(run, suite.Items, responses);
        var byName = rows.ToDictionary(r => r.Model);
        Assert.Equal(1.0, byName["good"].Score);
        Assert.Equal(0.0, byName["bad"].Score);
        Assert.Equal("bad", rows[^1].Model);
        Assert.True(byName["bad"].OpenWeights);
        // The flaky server fails calls 3, 6, 9, 12: four errors, never scored as wrong.
        Assert.Equal(4, byName["flaky"].Errors);
        Assert.Equal(8, byName["flaky"].Items);
        Assert.Equal(1.0, byName["flaky"].Score);
        Assert.All(responses.Where(r => r.Status == ResponseStatus.Error), r => { Assert.Null(r.Score); Assert.Contains("500", r.Error); });
        Assert.True(byName["slow"].MeanLatencyMs >= 140, $"slow mean latency {byName["slow"].MeanLatencyMs}");
        Assert.True(byName["slow"].MeanLatencyMs > byName["good"].MeanLatencyMs);
        // 12 items × (100 input × $1/M + 20 output × $2/M) = 12 × 0.00014
        Assert.Equal(12 * 0.00014m, byName["good"].TotalCost);
        Assert.Equal(byName["good"].TotalCost / 12, byName["good"].CostPerCorrect);
        Assert.All(responses.Where(r => r.Contestant == "good"), r =>
        {
            Assert.Equal(100, r.InputTokens);
            Assert.Equal(20, r.OutputTokens);
            Assert.NotNull(r.TtftMs);
            Assert.Contains("<think>", r.ResponseText);
        });
        Assert.Equal(2, byName["good"].Categories.Count);
        Assert.Equal(12, good.Calls);
    }

    [Fact]
    public async Task InterruptedRaceResumesWithoutRepeatingAnyCall()
    {
        await using var good = await FakeOpenAiServer.StartAsync((_, p) => new FakeReply(RightAnswer(p)));
        await using var bad = await FakeOpenAiServer.StartAsync((_, _) => new FakeReply("no idea"));
        var suite = ArithmeticSuite(10);
        var directory = Directory.CreateTempSubdirectory("modelrace-race-");
        try
        {
            var store = new SqliteRaceStore(SqliteStore.Open(Path.Combine(directory.FullName, "race.db")));
            using var cts = new CancellationTokenSource();
            var saved = 0;
            var progress = new Immediate<RaceProgress>(p => { if (p.Done > 0 && Interlocked.Increment(ref saved) == 7) cts.Cancel(); });
            var contestants = new[] { Contestant(good, "good"), Contestant(bad, "bad") };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                new RaceRunner(store, new ScorerRegistry()).RunAsync(suite, contestants, new RaceOptions { Concurrency = 1 }, progress, cts.Token));

            var run = (await store.ListRunsAsync(default)).Single();
            Assert.Equal(RunStatus.Interrupted, run.Status);
            var before = await store.LoadResponsesAsync(run.Id, default);
            Assert.InRange(before.Count, 7, 19);
            // A call in flight when the race is cancelled reaches the server but never completes, so nothing of it is
            // saved and the resumed race asks it again: at most one such call per contestant.
            var callsBefore = good.Calls + bad.Calls;
            Assert.InRange(callsBefore - before.Count, 0, 2);

            var resumed = await new RaceRunner(store, new ScorerRegistry()).RunAsync(suite, [Contestant(good, "good"), Contestant(bad, "bad")], new RaceOptions { Concurrency = 2 }, null, default);
            Assert.Equal(run.Id, resumed.Id);
            Assert.Equal(RunStatus.Completed, resumed.Status);
            // Exactly the items without a saved response are asked: none that was saved is asked twice.
            Assert.Equal(20 - before.Count, good.Calls + bad.Calls - callsBefore);
            var after = await store.LoadResponsesAsync(run.Id, default);
            Assert.Equal(20, after.Count);
            foreach (var earlier in before) Assert.Equal(earlier.ResponseText, after.Single(r => r.Contestant == earlier.Contestant && r.ItemId == earlier.ItemId).ResponseText);
            Assert.Equal(1.0, Leaderboard.Build(resumed, await store.LoadItemsAsync(run.Id, default), after).Single(r => r.Model == "good").Score);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task RetryErrorsAsksOnlyTheErroredItemsAgain()
    {
        var failing = true;
        await using var server = await FakeOpenAiServer.StartAsync((call, p) => failing && call % 2 == 0 ? new FakeReply("down", 503) : new FakeReply(RightAnswer(p)));
        var suite = ArithmeticSuite(6);
        var store = new InMemoryRaceStore();
        var run = await new RaceRunner(store, new ScorerRegistry()).RunAsync(suite, [Contestant(server, "m")], new RaceOptions { Concurrency = 1 }, null, default);
        Assert.Equal(3, (await store.LoadResponsesAsync(run.Id, default)).Count(r => r.Status == ResponseStatus.Error));

        await new RaceRunner(store, new ScorerRegistry()).RunAsync(suite, [Contestant(server, "m")], new RaceOptions(), null, default);
        Assert.Equal(6, server.Calls); // without --retry-errors a stored error is final
        failing = false;
        await new RaceRunner(store, new ScorerRegistry()).RunAsync(suite, [Contestant(server, "m")], new RaceOptions { RetryErrors = true }, null, default);
        Assert.Equal(9, server.Calls);
        Assert.All(await store.LoadResponsesAsync(run.Id, default), r => Assert.Equal(ResponseStatus.Ok, r.Status));
    }

    [Fact]
    public async Task ChangedSuiteIsANewRun()
    {
        await using var server = await FakeOpenAiServer.StartAsync((_, p) => new FakeReply(RightAnswer(p)));
        var store = new InMemoryRaceStore();
        var first = await new RaceRunner(store, new ScorerRegistry()).RunAsync(ArithmeticSuite(3), [Contestant(server, "m")], new RaceOptions(), null, default);
        var second = await new RaceRunner(store, new ScorerRegistry()).RunAsync(ArithmeticSuite(4), [Contestant(server, "m")], new RaceOptions(), null, default);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(7, server.Calls);
    }

    [Fact]
    public async Task UnknownScorerFailsBeforeAnyCall()
    {
        await using var server = await FakeOpenAiServer.StartAsync((_, p) => new FakeReply(RightAnswer(p)));
        var suite = ArithmeticSuite(2) with { Items = [ArithmeticSuite(1).Items[0] with { Scorer = "judge-rubric" }] };
        await Assert.ThrowsAsync<ScoringException>(() => new RaceRunner(new InMemoryRaceStore(), new ScorerRegistry()).RunAsync(suite, [Contestant(server, "m")], new RaceOptions(), null, default));
        Assert.Equal(0, server.Calls);
    }

    /// <summary>Answers every item right, instantly, with updates marked as replayed from the response cache.</summary>
    private sealed class CachedReplayClient(ResponseTiming original) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            var update = new ChatResponseUpdate(ChatRole.Assistant, RightAnswer(messages.Last().Text)) { FinishReason = ChatFinishReason.Stop };
            update.AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [ResponseMetadata.CachedKey] = true,
                [ResponseMetadata.TimingKey] = original,
            };
            yield return update;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task CachedRepliesReportTheLatencyMeasuredWhenFirstAsked()
    {
        var original = new ResponseTiming(TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(2500));
        var store = new InMemoryRaceStore();
        var contestant = new Contestant(new ContestantInfo { Name = "cached", Endpoint = "fake", Model = "cached" }, new CachedReplayClient(original));

        var run = await new RaceRunner(store, new ScorerRegistry()).RunAsync(ArithmeticSuite(3), [contestant], new RaceOptions { Concurrency = 1 }, null, default);

        var responses = await store.LoadResponsesAsync(run.Id, default);
        Assert.Equal(3, responses.Count);
        Assert.All(responses, r =>
        {
            Assert.Equal(2500, r.LatencyMs);
            Assert.Equal(400, r.TtftMs);
        });
    }
}
