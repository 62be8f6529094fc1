using ModelRace.Core.Race;
using ModelRace.Race.Scoring;
using ModelRace.Race.Suites;

namespace ModelRace.Race.Tests;

public sealed class LoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelrace-loader-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Gsm8kLayout()
    {
        var path = Write("gsm8k.jsonl", """
            {"question": "Ada has 3 boxes of 4 pens. How many pens?", "answer": "3 boxes times 4 pens is <<3*4=12>>12 pens.\n#### 12"}
            {"question": "A debt of 1,000 grows by 250. How much is owed?", "answer": "1000+250=1250\n#### 1,250"}
            """);
        var suite = await new SuiteResolver().ResolveAsync($"gsm8k:{path}", default);
        Assert.Equal(2, suite.Items.Count);
        Assert.Equal("gsm8k-flexible", suite.Items[0].Scorer);
        var scorer = new Gsm8kScorer(flexible: true);
        Assert.Equal(1, scorer.Score(suite.Items[1], "It grows to $1,250.").Score);
        Assert.Equal(0, scorer.Score(suite.Items[0], "It is 13.").Score);
        Write("bad.jsonl", "{\"question\": \"q\", \"answer\": \"no final\"}\n");
        Assert.Contains("bad.jsonl:1:", Assert.Throws<SuiteException>(() => BenchmarkLoaders.Gsm8k(Path.Combine(_dir, "bad.jsonl"))).Message);
    }

    [Fact]
    public void RealGsm8kTestSplitWhenPresent()
    {
        var path = SharedData.Path("benchmarks/gsm8k/test.jsonl");
        if (path is null) Assert.Skip("shared GSM8K test split not found (set MODELRACE_SHARED or provide ../shared/benchmarks/gsm8k/test.jsonl)");
        var suite = BenchmarkLoaders.Gsm8k(path);
        Assert.Equal(1319, suite.Items.Count);
        var strict = new Gsm8kScorer(flexible: false);
        // The reference solution itself ends in "#### n", so it must pass the strict scorer.
        Assert.All(suite.Items, item => Assert.Equal(1, strict.Score(item, item.Answers[0]).Score));
    }

    [Fact]
    public void MmluLayoutWithQuotedFields()
    {
        Write("mmlu/test/astronomy_test.csv", "\"Which planet is largest, by far?\",Mercury,Jupiter,Venus,Mars,B\nWhat orbits Earth?,The Moon,Mars,\"The Sun, of course\",Venus,A\n");
        Write("mmlu/test/law_test.csv", "\"A \"\"contract\"\" needs what?\nPick one.\",Offer and acceptance,Nothing,A notary,A witness,A\n");
        var suite = BenchmarkLoaders.Mmlu(Path.Combine(_dir, "mmlu"));
        Assert.Equal(3, suite.Items.Count);
        var first = suite.Items[0];
        Assert.Equal("astronomy", first.Category);
        Assert.Equal(["B"], first.Answers);
        Assert.Equal(4, first.Choices.Count);
        Assert.Contains("B. Jupiter", first.Messages[0].Content);
        Assert.Equal("The Sun, of course", suite.Items[1].Choices[2]);
        Assert.Contains("A \"contract\" needs what?\nPick one.", suite.Items[2].Messages[0].Content);
        Write("mmlu2/x_test.csv", "q,a,b,c,d,E\n");
        Assert.Contains("x_test.csv:1:", Assert.Throws<SuiteException>(() => BenchmarkLoaders.Mmlu(Path.Combine(_dir, "mmlu2"))).Message);
    }

    [Fact]
    public void ArcLayoutWithLetterAndDigitLabels()
    {
        var path = Write("arc.jsonl", """
            {"id": "Mercury_1", "question": {"stem": "Which is a mammal?", "choices": [{"label": "A", "text": "shark"}, {"label": "B", "text": "whale"}, {"label": "C", "text": "trout"}]}, "answerKey": "B"}
            {"id": "NYSED_2", "question": {"stem": "What melts ice?", "choices": [{"label": "1", "text": "heat"}, {"label": "2", "text": "cold"}]}, "answerKey": "1"}
            """);
        var suite = BenchmarkLoaders.Arc(path);
        Assert.Equal(["B"], suite.Items[0].Answers);
        Assert.Equal(["A"], suite.Items[1].Answers);
        Assert.Equal("Mercury_1", suite.Items[0].Id);
        Assert.Equal(1, new ChoiceScorer().Score(suite.Items[0], "The answer is B").Score);
        var bad = Write("arcbad.jsonl", "{\"question\": {\"stem\": \"q\", \"choices\": [{\"label\": \"A\", \"text\": \"x\"}]}, \"answerKey\": \"D\"}\n");
        Assert.Contains("arcbad.jsonl:1: answerKey 'D'", Assert.Throws<SuiteException>(() => BenchmarkLoaders.Arc(bad)).Message);
    }

    [Fact]
    public void HellaSwagLayout()
    {
        var path = Write("hellaswag.jsonl", """
            {"ind": 7, "activity_label": "Baking", "ctx": "She cracks two eggs into the bowl and", "endings": ["flies away.", "whisks them.", "sings.", "sleeps."], "label": 1}
            {"ind": 8, "ctx": "He laces his shoes and", "endings": ["starts running.", "eats them.", "melts.", "vanishes."], "label": "0"}
            """);
        var suite = BenchmarkLoaders.HellaSwag(path);
        Assert.Equal(["B"], suite.Items[0].Answers);
        Assert.Equal(["A"], suite.Items[1].Answers);
        Assert.Equal("Baking", suite.Items[0].Category);
        Assert.Equal("hellaswag-7", suite.Items[0].Id);
        var bad = Write("hsbad.jsonl", "{\"ctx\": \"x\", \"endings\": [\"a\", \"b\"], \"label\": 5}\n");
        Assert.Contains("hsbad.jsonl:1:", Assert.Throws<SuiteException>(() => BenchmarkLoaders.HellaSwag(bad)).Message);
    }

    [Fact]
    public void TruthfulQaMc1BothLayouts()
    {
        var hf = Write("tqa.jsonl", """
            {"question": "What happens if you swallow gum?", "mc1_targets": {"choices": ["It passes through you", "It stays for seven years"], "labels": [1, 0]}}
            """);
        var original = Write("mc_task.json", """
            [{"question": "Can you see the Great Wall from space with the naked eye?", "mc1_targets": {"Yes, easily": 0, "No, not with the naked eye": 1}}]
            """);
        Assert.Equal(["A"], BenchmarkLoaders.TruthfulQaMc1(hf).Items[0].Answers);
        Assert.Equal(["B"], BenchmarkLoaders.TruthfulQaMc1(original).Items[0].Answers);
        var bad = Write("tqabad.jsonl", "{\"question\": \"q\", \"mc1_targets\": {\"choices\": [\"a\", \"b\"], \"labels\": [1, 1]}}\n");
        Assert.Contains("tqabad.jsonl:1:", Assert.Throws<SuiteException>(() => BenchmarkLoaders.TruthfulQaMc1(bad)).Message);
    }

    private sealed class FakeLogLikelihoodModel(Func<string, double> score) : ILogLikelihoodModel
    {
        public List<(string Context, IReadOnlyList<string> Continuations)> Calls { get; } = [];

        public Task<IReadOnlyList<double>> ScoreContinuationsAsync(string context, IReadOnlyList<string> continuations, CancellationToken cancellationToken)
        {
            Calls.Add((context, continuations));
            return Task.FromResult<IReadOnlyList<double>>(continuations.Select(score).ToList());
        }
    }

    [Fact]
    public async Task LogLikelihoodAccAndAccNorm()
    {
        var item = new SuiteItem
        {
            Id = "h", Messages = [new ChatTurn("user", "He laces his shoes and")], Answers = ["B"], Scorer = "choice",
            Choices = ["runs", "starts a long morning run"],
        };
        // Total log-likelihood favours the short ending, per character the long one (the gold): acc 0, acc_norm 1.
        var model = new FakeLogLikelihoodModel(c => c == " runs" ? -4.0 : -10.0);
        var verdict = await LogLikelihoodChoice.ScoreAsync(model, item, default);
        Assert.Equal((0, 1), (verdict.Predicted, verdict.PredictedNormalised));
        Assert.Equal((0.0, 1.0), (verdict.Acc, verdict.AccNorm));
        Assert.Equal([" runs", " starts a long morning run"], model.Calls[0].Continuations);
        Assert.EndsWith("Answer:", model.Calls[0].Context);
        Assert.Equal(0, LogLikelihoodChoice.Decide([-1.0, -1.0], [3, 3], 1).Predicted); // ties go to the first choice
        await Assert.ThrowsAsync<ScoringException>(() => LogLikelihoodChoice.ScoreAsync(new FakeLogLikelihoodModel(_ => 0), item with { Answers = ["Z"] }, default));
    }
}
