using ModelRace.Core.Endpoints;
using ModelRace.Core.Race;
using ModelRace.Storage;

namespace ModelRace.Race.Tests;

public sealed class SqliteRaceStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelrace-store-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private SqliteRaceStore Open() => new(SqliteStore.Open(Path.Combine(_dir, "m.db")));

    private static RunSpec Spec(string key) => new()
    {
        ResumeKey = key, SuiteName = "s", SuiteHash = "h", OptionsJson = "{}",
        Contestants = [new ContestantInfo { Name = "a", Endpoint = "http://x/v1", Model = "m", CardId = "gpt-4o", OpenWeights = true, Deployment = DeploymentClass.Private }],
        Items =
        [
            new SuiteItem { Id = "1", Messages = [new ChatTurn("system", "sys"), new ChatTurn("user", "q?")], Answers = ["B"], Scorer = "choice", Category = "c", Choices = ["x", "y"] },
            new SuiteItem { Id = "2", Messages = [new ChatTurn("user", "json")], Scorer = "json-schema", ScorerOptionsJson = "{\"schema\":{\"type\":\"object\"}}" },
        ],
    };

    [Fact]
    public async Task RoundTripsRunsItemsAndResponsesAcrossReopen()
    {
        var (run, resumed) = await Open().CreateOrResumeRunAsync(Spec("k1"), default);
        Assert.False(resumed);
        await Open().SaveResponseAsync(new ResponseRecord
        {
            RunId = run.Id, Contestant = "a", ItemId = "1", Status = ResponseStatus.Ok, ResponseText = "B", Score = 1, InputTokens = 12, OutputTokens = 3,
            CachedTokens = 4, ReasoningTokens = 7, LatencyMs = 12.5, TtftMs = 3.25, Cost = 0.000123m, Currency = "USD", DetailsJson = "{\"extracted\":\"B\"}",
            CreatedAt = DateTimeOffset.UnixEpoch,
        }, default);
        await Open().SaveResponseAsync(new ResponseRecord { RunId = run.Id, Contestant = "a", ItemId = "2", Status = ResponseStatus.Error, Error = "HTTP 500" }, default);
        await Open().SetStatusAsync(run.Id, RunStatus.Interrupted, default);

        var store = Open();
        var (again, resumedNow) = await store.CreateOrResumeRunAsync(Spec("k1"), default);
        Assert.True(resumedNow);
        Assert.Equal(run.Id, again.Id);
        Assert.Equal(RunStatus.Interrupted, again.Status);
        Assert.Equal(2, again.ItemCount);
        var contestant = Assert.Single(again.Contestants);
        Assert.Equal(("gpt-4o", true, DeploymentClass.Private), (contestant.CardId, contestant.OpenWeights, contestant.Deployment));

        var items = await store.LoadItemsAsync(run.Id, default);
        Assert.Equal(["1", "2"], items.Select(i => i.Id));
        Assert.Equal(["x", "y"], items[0].Choices);
        Assert.Equal(new ChatTurn("system", "sys"), items[0].Messages[0]);
        Assert.Equal("{\"schema\":{\"type\":\"object\"}}", items[1].ScorerOptionsJson);

        var responses = await store.LoadResponsesAsync(run.Id, default);
        var ok = responses.Single(r => r.ItemId == "1");
        Assert.Equal((12L, 3L, 4L, 7L, 0.000123m, 3.25), (ok.InputTokens!.Value, ok.OutputTokens!.Value, ok.CachedTokens!.Value, ok.ReasoningTokens!.Value, ok.Cost!.Value, ok.TtftMs!.Value));
        var error = responses.Single(r => r.ItemId == "2");
        Assert.Equal((ResponseStatus.Error, (double?)null, "HTTP 500"), (error.Status, error.Score, error.Error));

        Assert.Equal(1, await store.DeleteErrorsAsync(run.Id, default));
        Assert.Single(await store.LoadResponsesAsync(run.Id, default));
        Assert.Equal(run.Id, (await store.FindRunAsync(run.Id[..6], default))!.Id);
        Assert.Null(await store.FindRunAsync("zz%", default));
        await Assert.ThrowsAsync<StoreException>(() => store.SetStatusAsync("missing", RunStatus.Completed, default));
    }

    [Fact]
    public async Task ListsRunsNewestFirstAndRejectsResponsesForUnknownItems()
    {
        var store = Open();
        var (first, _) = await store.CreateOrResumeRunAsync(Spec("k1"), default);
        await Task.Delay(5);
        var (second, _) = await store.CreateOrResumeRunAsync(Spec("k2"), default);
        Assert.Equal([second.Id, first.Id], (await store.ListRunsAsync(default)).Select(r => r.Id));
        await Assert.ThrowsAnyAsync<Exception>(() => store.SaveResponseAsync(new ResponseRecord { RunId = first.Id, Contestant = "a", ItemId = "nope" }, default));
    }
}
