using Microsoft.Extensions.AI;
using ModelRace.Core.Race;
using ModelRace.Race.Results;
using ModelRace.Race.Running;
using ModelRace.Race.Scoring;

namespace ModelRace.Race.Tests;

/// <summary>--multiple-choice loglikelihood: which items and models are scored by log-likelihood, what is stored, and how runs resume.</summary>
public class LogLikelihoodRaceTests
{
    /// <summary>A chat client that answers every prompt "B" and, when asked, scores continuations (the gold " Paris" highest, the longest best per character).</summary>
    private sealed class ScoringClient(bool exposesLogLikelihood) : IChatClient, ILogLikelihoodModel
    {
        public int ChatCalls;
        public int ScoreCalls;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref ChatCalls);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "B")));
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, response.Text);
        }

        public Task<IReadOnlyList<double>> ScoreContinuationsAsync(string context, IReadOnlyList<string> continuations, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref ScoreCalls);
            return Task.FromResult<IReadOnlyList<double>>(continuations.Select(c => c switch { " Paris" => -2.0, " Lyon" => -3.0, _ => -3.5 }).ToList());
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ILogLikelihoodModel) && !exposesLogLikelihood ? null : serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose() { }
    }

    private static Suite CapitalSuite() => new()
    {
        Name = "capitals",
        Items =
        [
            new SuiteItem { Id = "mc1", Messages = [new ChatTurn("user", "The capital of France is")], Answers = ["A"], Scorer = "choice", Choices = ["Paris", "Lyon", "Marseille-Provence"] },
            new SuiteItem { Id = "mc2", Messages = [new ChatTurn("user", "The largest city of France is")], Answers = ["C"], Scorer = "choice", Choices = ["Paris", "Lyon", "Marseille-Provence"] },
            new SuiteItem { Id = "open", Messages = [new ChatTurn("user", "Say B.")], Answers = ["B"], Scorer = "exact" },
        ],
    };

    private static Contestant Local(ScoringClient client, string name = "local") =>
        new(new ContestantInfo { Name = name, Endpoint = "local", Model = name, OpenWeights = true }, client);

    [Fact]
    public async Task Items_with_choices_are_scored_by_log_likelihood_and_the_rest_are_asked()
    {
        var client = new ScoringClient(exposesLogLikelihood: true);
        var store = new InMemoryRaceStore();
        var run = await new RaceRunner(store, new ScorerRegistry()).RunAsync(CapitalSuite(), [Local(client)],
            new RaceOptions { MultipleChoice = MultipleChoiceMode.LogLikelihood }, null, default);

        Assert.Equal((2, 1), (client.ScoreCalls, client.ChatCalls));
        var responses = (await store.LoadResponsesAsync(run.Id, default)).ToDictionary(r => r.ItemId);
        // mc1: " Paris" has the highest total (acc 1); per character "Marseille-Provence" wins (acc_norm 0). mc2 the reverse.
        Assert.Equal((1.0, "A"), (responses["mc1"].Score, responses["mc1"].ResponseText));
        Assert.Contains("\"acc_norm\":0", responses["mc1"].DetailsJson);
        Assert.Contains("\"predicted_norm\":\"C\"", responses["mc1"].DetailsJson);
        Assert.Equal(0.0, responses["mc2"].Score);
        Assert.Equal(1.0, responses["open"].Score);
        Assert.DoesNotContain("loglikelihood", responses["open"].DetailsJson ?? "");

        var summary = Assert.Single(LogLikelihoodSummary.Build(responses.Values));
        Assert.Equal(("local", 2, 0.5, 0.5), (summary.Contestant, summary.Items, summary.Acc, summary.AccNorm));
    }

    [Fact]
    public async Task Models_without_log_likelihood_and_generative_races_are_asked_in_text()
    {
        var api = new ScoringClient(exposesLogLikelihood: false);
        var store = new InMemoryRaceStore();
        await new RaceRunner(store, new ScorerRegistry()).RunAsync(CapitalSuite(), [Local(api, "api")], new RaceOptions { MultipleChoice = MultipleChoiceMode.LogLikelihood }, null, default);
        Assert.Equal((0, 3), (api.ScoreCalls, api.ChatCalls));

        var local = new ScoringClient(exposesLogLikelihood: true);
        var run = await new RaceRunner(store, new ScorerRegistry()).RunAsync(CapitalSuite(), [Local(local)], new RaceOptions(), null, default);
        Assert.Equal((0, 3), (local.ScoreCalls, local.ChatCalls));
        Assert.Empty(LogLikelihoodSummary.Build(await store.LoadResponsesAsync(run.Id, default)));
    }

    [Fact]
    public async Task A_race_in_the_other_mode_is_a_new_run_and_generative_keys_are_unchanged()
    {
        var suite = CapitalSuite();
        var infos = new[] { Local(new ScoringClient(true)).Info };
        var hash = RaceKeys.SuiteHash(suite);
        Assert.Equal(RaceKeys.ResumeKey(hash, infos), RaceKeys.ResumeKey(hash, infos, MultipleChoiceMode.Generate));
        Assert.NotEqual(RaceKeys.ResumeKey(hash, infos), RaceKeys.ResumeKey(hash, infos, MultipleChoiceMode.LogLikelihood));

        var store = new InMemoryRaceStore();
        var runner = new RaceRunner(store, new ScorerRegistry());
        var generative = await runner.RunAsync(suite, [Local(new ScoringClient(true))], new RaceOptions(), null, default);
        var client = new ScoringClient(true);
        var scored = await runner.RunAsync(suite, [Local(client)], new RaceOptions { MultipleChoice = MultipleChoiceMode.LogLikelihood }, null, default);
        Assert.NotEqual(generative.Id, scored.Id);
        Assert.Equal(2, client.ScoreCalls);
        var again = new ScoringClient(true);
        Assert.Equal(scored.Id, (await runner.RunAsync(suite, [Local(again)], new RaceOptions { MultipleChoice = MultipleChoiceMode.LogLikelihood }, null, default)).Id);
        Assert.Equal((0, 0), (again.ScoreCalls, again.ChatCalls));
    }

    [Fact]
    public async Task A_failing_log_likelihood_call_is_an_error_row()
    {
        var item = CapitalSuite().Items[0] with { Answers = ["Z"] };
        var suite = CapitalSuite() with { Items = [item] };
        var store = new InMemoryRaceStore();
        var run = await new RaceRunner(store, new ScorerRegistry()).RunAsync(suite, [Local(new ScoringClient(true))], new RaceOptions { MultipleChoice = MultipleChoiceMode.LogLikelihood }, null, default);
        var response = Assert.Single(await store.LoadResponsesAsync(run.Id, default));
        Assert.Equal(ResponseStatus.Error, response.Status);
        Assert.Contains("not one of the 3 choices", response.Error);
    }
}
