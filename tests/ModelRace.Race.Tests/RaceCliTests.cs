using System.Text.Json;
using ModelRace.Cli;
using ModelRace.Race.Suites;
using Spectre.Console.Testing;

namespace ModelRace.Race.Tests;

/// <summary>`modelrace race / runs / leaderboard / compare` in-process against fake OpenAI-compatible servers.</summary>
public sealed class RaceCliTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("modelrace-home-").FullName;
    private readonly string _work = Directory.CreateTempSubdirectory("modelrace-cwd-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_home, recursive: true);
        Directory.Delete(_work, recursive: true);
    }

    private async Task<(int Code, string Console, string Out, string Error)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext
        {
            Console = console, Out = output, Error = error, WorkingDirectory = _work,
            GetEnvironmentVariable = name => name switch
            {
                "MODELRACE_HOME" => _home,
                "GOOD_KEY" => "sk-test",
                // Tests reach only loopback: the default local model's hub is a port where nothing listens.
                "HF_ENDPOINT" => "http://127.0.0.1:9",
                _ => null,
            },
        };
        var code = await ModelRaceApp.RunAsync(args, context);
        return (code, console.Output, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task QuickRaceRanksGoodAboveBadWithIntervalsCostsAndAPlot()
    {
        var quick = BuiltInSuites.Quick().Items.ToDictionary(i => i.Messages[^1].Content, i => i.ReferenceReply!);
        await using var good = await FakeOpenAiServer.StartAsync((_, prompt) => new FakeReply(quick[prompt], PromptTokens: 1_000, CompletionTokens: 100));
        await using var bad = await FakeOpenAiServer.StartAsync((_, _) => new FakeReply("I don't know."));
        string[] race = ["race", "quick", "--endpoint", $"good={good.BaseUrl},model=gpt-4o,key_env=GOOD_KEY", "--endpoint", $"bad={bad.BaseUrl},model=local-bad,open=true", "--report", "report.html", "--concurrency", "8"];

        var first = await RunAsync(race);
        Assert.True(first.Code == 0, first.Error + first.Console);
        Assert.Equal(120, good.Calls);
        Assert.Equal(120, bad.Calls);
        Assert.Matches(@"1 .*good .*100\.0% ± 0\.0", first.Console);
        Assert.Matches(@"2 .*bad .*open", first.Console);

        var html = await File.ReadAllTextAsync(Path.Combine(_work, "report.html"));
        Assert.Contains("<svg", html);
        Assert.Contains("<circle class=\"model\"", html);

        var json = await RunAsync("leaderboard", "--json");
        using var doc = JsonDocument.Parse(json.Out);
        var rows = doc.RootElement.GetProperty("leaderboard");
        var top = rows[0];
        Assert.Equal("good", top.GetProperty("model").GetString());
        Assert.Equal("gpt-4o", top.GetProperty("card_id").GetString());
        // gpt-4o card: $2.50 in / $10.00 out per 1M tokens; 120 × (1000 × 2.5 + 100 × 10) / 1M = $0.42
        Assert.Equal(0.42m, top.GetProperty("total_cost").GetDecimal());
        Assert.Equal("USD", top.GetProperty("currency").GetString());
        var badRow = rows[1];
        Assert.True(badRow.GetProperty("score").GetDouble() < 0.1);
        Assert.True(badRow.GetProperty("ci_high").GetDouble() > badRow.GetProperty("ci_low").GetDouble());
        Assert.Equal(JsonValueKind.Null, badRow.TryGetProperty("total_cost", out var c) ? c.ValueKind : JsonValueKind.Null);

        // The same command again resumes the finished run: nothing is asked twice.
        var again = await RunAsync(race);
        Assert.Equal(0, again.Code);
        Assert.Equal(120, good.Calls);

        var runs = await RunAsync("runs", "--json");
        Assert.Single(JsonDocument.Parse(runs.Out).RootElement.EnumerateArray());

        var compare = await RunAsync("compare", "good", "bad");
        Assert.True(compare.Code == 0, compare.Error);
        Assert.Contains("significant", compare.Console);
        Assert.Contains("good is better", compare.Console);

        var csv = await RunAsync("leaderboard", "--format", "csv", "--sort", "cost");
        Assert.StartsWith("rank,model,open", csv.Out);
        var md = await RunAsync("leaderboard", "--format", "md");
        Assert.Contains("| 1 | good | closed |", md.Out);
        var badSort = await RunAsync("leaderboard", "--sort", "vibes");
        Assert.NotEqual(0, badSort.Code);
        Assert.Contains("unknown sort column", badSort.Error);
    }

    [Fact]
    public async Task NothingConfiguredSaysWhatToConfigure()
    {
        var result = await RunAsync("race", "quick");
        Assert.Equal(1, result.Code);
        Assert.Contains("default local model", result.Error);
        Assert.Contains("--model path/to/model.gguf", result.Error);
        Assert.Contains("--endpoint", result.Error);
        Assert.Contains("key_env", result.Error);
        var noSuite = await RunAsync("race", "--endpoint", "x=http://127.0.0.1:9/v1");
        Assert.Contains("no suite given", noSuite.Error);
        var badEndpoint = await RunAsync("race", "quick", "--endpoint", "just-a-name");
        Assert.Contains("no modelrace.yaml defines it", badEndpoint.Error);
        var missingKey = await RunAsync("race", "quick", "--endpoint", "x=http://127.0.0.1:9/v1,key_env=NOT_SET_ANYWHERE");
        Assert.Contains("NOT_SET_ANYWHERE is not set", missingKey.Error);
        var empty = await RunAsync("runs");
        Assert.Contains("No races stored yet", empty.Console);
        var noRun = await RunAsync("leaderboard");
        Assert.Contains("no races stored yet", noRun.Error);
    }

    [Fact]
    public async Task BareJsonlSuiteWithBadLineNamesFileAndLine()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "my.jsonl"), "{\"id\": 1, \"prompt\": \"2+2?\", \"answer\": \"4\"}\n{\"id\": 2, \"prompt\": \"oops\"}\n");
        var result = await RunAsync("race", "my.jsonl", "--endpoint", "x=http://127.0.0.1:9/v1");
        Assert.Equal(1, result.Code);
        Assert.Contains("my.jsonl:2:", result.Error);
    }

    [Fact]
    public async Task LogLikelihoodModeAsksApiModelsInTextAndSaysSoAndRefusesUnknownModes()
    {
        var quick = BuiltInSuites.Quick().Items.ToDictionary(i => i.Messages[^1].Content, i => i.ReferenceReply!);
        await using var api = await FakeOpenAiServer.StartAsync((_, prompt) => new FakeReply(quick[prompt]));
        var result = await RunAsync("race", "quick", "--endpoint", $"api={api.BaseUrl},model=gpt-4o", "--multiple-choice", "loglikelihood", "--limit", "10");
        Assert.True(result.Code == 0, result.Error + result.Console);
        Assert.Equal(10, api.Calls);
        Assert.Contains("No item was scored by log-likelihood", result.Console);

        var unknown = await RunAsync("race", "quick", "--endpoint", $"api={api.BaseUrl},model=gpt-4o", "--multiple-choice", "perplexity");
        Assert.NotEqual(0, unknown.Code);
        Assert.Contains("perplexity", unknown.Error);
    }
}
