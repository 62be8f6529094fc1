using ModelRace.Core.Race;
using ModelRace.Race.Results;

namespace ModelRace.Race.Tests;

public class ExportTests
{
    private static (RunRecord Run, IReadOnlyList<LeaderboardRow> Rows) Sample()
    {
        var run = new RunRecord
        {
            Id = "0123456789abcdef", ResumeKey = "k", SuiteName = "demo", SuiteHash = "h", OptionsJson = "{}", ItemCount = 4, Status = RunStatus.Completed,
            Contestants = [new ContestantInfo { Name = "alpha", Endpoint = "e", Model = "a", OpenWeights = true }, new ContestantInfo { Name = "beta, \"the second\"", Endpoint = "e", Model = "b" }],
        };
        var items = Enumerable.Range(1, 4).Select(i => new SuiteItem { Id = $"i{i}", Messages = [new ChatTurn("user", "q")], Answers = ["a"], Scorer = "exact", Category = i <= 2 ? "x" : "y" }).ToList();
        var responses = new List<ResponseRecord>();
        foreach (var item in items)
        {
            responses.Add(new ResponseRecord { RunId = run.Id, Contestant = "alpha", ItemId = item.Id, Score = 1, LatencyMs = 100, OutputTokens = 10, Cost = 0.01m, Currency = "USD" });
            responses.Add(item.Id == "i4"
                ? new ResponseRecord { RunId = run.Id, Contestant = "beta, \"the second\"", ItemId = item.Id, Status = ResponseStatus.Error, Error = "boom" }
                : new ResponseRecord { RunId = run.Id, Contestant = "beta, \"the second\"", ItemId = item.Id, Score = item.Id == "i1" ? 1 : 0, LatencyMs = 300, OutputTokens = 30, Cost = 0.002m, Currency = "USD" });
        }
        return (run, Leaderboard.Build(run, items, responses));
    }

    [Fact]
    public void RowsCarryTheFigures()
    {
        var (_, rows) = Sample();
        var alpha = rows.Single(r => r.Model == "alpha");
        var beta = rows.Single(r => r.Model != "alpha");
        Assert.Equal(1, alpha.Rank);
        Assert.Equal(0.04m, alpha.TotalCost);
        Assert.Equal(0.01m, alpha.CostPerCorrect);
        Assert.Equal(100, alpha.OutputTokensPerSecond!.Value, 6);
        Assert.Equal(3, beta.Items);
        Assert.Equal(1, beta.Errors);
        Assert.Equal(1 / 3.0, beta.Score, 9);
        Assert.Equal(0.006m, beta.CostPerCorrect);
        Assert.Equal(["x", "y"], alpha.Categories.Select(c => c.Category));
    }

    [Theory]
    [InlineData("latency", "alpha")]
    [InlineData("cost", "beta, \"the second\"")]
    [InlineData("errors", "alpha")]
    [InlineData("model", "alpha")]
    public void SortsByAnyColumn(string column, string first) => Assert.Equal(first, Leaderboard.Sort(Sample().Rows, column)[0].Model);

    [Fact]
    public void UnknownSortColumnIsRejected() => Assert.Throws<ArgumentException>(() => Leaderboard.Sort(Sample().Rows, "vibes"));

    [Fact]
    public void ExportsInEveryFormat()
    {
        var (run, rows) = Sample();
        var csv = LeaderboardExport.ToCsv(rows).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(',', LeaderboardExport.Header), csv[0].TrimEnd('\r'));
        Assert.StartsWith("2,\"beta, \"\"the second\"\"\",closed,0.3333", csv[2]);
        var md = LeaderboardExport.ToMarkdown(rows);
        Assert.Contains("| 1 | alpha | open | 100.0% ± 0.0 [1.0000, 1.0000] | 4 | 0 |", md);
        using var json = System.Text.Json.JsonDocument.Parse(LeaderboardExport.ToJson(run, rows));
        Assert.Equal(1, json.RootElement.GetProperty("leaderboard")[1].GetProperty("errors").GetInt32());
        var html = LeaderboardExport.ToHtml(run, rows);
        Assert.Contains("<svg", html);
        Assert.Equal(2, html.Split("<circle class=\"model\"").Length - 1);
        Assert.Contains("beta, &quot;the second&quot;", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://cdn", html);
    }
}
