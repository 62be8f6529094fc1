using Microsoft.Extensions.AI;
using ModelRace.Core.Catalog;
using ModelRace.Core.Race;
using ModelRace.Race.Scoring;

namespace ModelRace.Race.Tests;

public class JudgeTests
{
    private sealed class ScriptedJudge(Func<string, string> reply) : IChatClient
    {
        public List<string> Prompts { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var prompt = messages.Last().Text;
            Prompts.Add(prompt);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply(prompt)))
            {
                Usage = new UsageDetails { InputTokenCount = 1_000, OutputTokenCount = 100 },
            });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }

    private static readonly ContestantInfo JudgeInfo = new()
    {
        Name = "judge", Endpoint = "x", Model = "j",
        Prices = new PriceSheet { Currency = "USD", InputPerMillion = 2m, OutputPerMillion = 10m, Source = new Source("https://example.com", null) },
    };

    private static SuiteItem Item(string scorer, params string[] answers) => new()
    {
        Id = "1", Messages = [new ChatTurn("user", "What is the capital of France?")], Answers = answers, Scorer = scorer,
        ScorerOptionsJson = "{\"rubric\": \"Names Paris.\"}",
    };

    [Fact]
    public async Task RubricScoreIsScaledAndJudgeCostCounted()
    {
        var judge = new ScriptedJudge(_ => "Good answer.\nSCORE: 4");
        var result = await new JudgeScorer(judge, JudgeInfo, JudgeMode.Rubric).ScoreAsync(Item("judge-rubric"), "Paris", default);
        Assert.Equal(0.75, result.Score);
        Assert.Equal(0.002m + 0.001m, result.JudgeCost);
        Assert.Contains("Names Paris.", judge.Prompts[0]);
        Assert.Contains("Answer to grade:\nParis", judge.Prompts[0]);
    }

    [Theory]
    [InlineData("It matches.\nVERDICT: CORRECT", 1)]
    [InlineData("VERDICT: INCORRECT", 0)]
    [InlineData("At first CORRECT? No.\nVERDICT: **INCORRECT**", 0)]
    public async Task ReferenceVerdict(string judgeReply, double expected)
    {
        var judge = new ScriptedJudge(_ => judgeReply);
        var result = await new JudgeScorer(judge, JudgeInfo, JudgeMode.ReferenceVerdict).ScoreAsync(Item("judge-reference", "Paris"), "Lyon", default);
        Assert.Equal(expected, result.Score);
        Assert.Contains("Reference answer:\nParis", judge.Prompts[0]);
    }

    [Fact]
    public async Task UnparseableOrFailingJudgeIsAnErrorNotAZero()
    {
        var vague = new JudgeScorer(new ScriptedJudge(_ => "Pretty good I guess"), JudgeInfo, JudgeMode.Rubric);
        await Assert.ThrowsAsync<ScoringException>(() => vague.ScoreAsync(Item("judge-rubric"), "Paris", default));
        var broken = new JudgeScorer(new ScriptedJudge(_ => throw new HttpRequestException("503")), JudgeInfo, JudgeMode.ReferenceVerdict);
        var e = await Assert.ThrowsAsync<ScoringException>(() => broken.ScoreAsync(Item("judge-reference", "Paris"), "Paris", default));
        Assert.Contains("503", e.Message);
    }
}
