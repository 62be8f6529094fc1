using ModelRace.Core.Race;
using ModelRace.Race.Scoring;
using ModelRace.Race.Suites;

namespace ModelRace.Race.Tests;

public sealed class SuiteTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelrace-suite-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task BareJsonlIsASuite()
    {
        var path = Write("my.jsonl", """
            {"id": "a", "prompt": "2+2?", "answer": 4, "scorer": "numeric", "category": "math"}

            // comments and blank lines are skipped
            {"id": "b", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}], "answers": ["Paris", "paris, france"]}
            {"prompt": "Return JSON", "scorer": "json-schema", "schema": {"type": "object", "required": ["x"]}}
            """);
        var suite = await new SuiteResolver().ResolveAsync(path, default);
        Assert.Equal("my", suite.Name);
        Assert.Equal(3, suite.Items.Count);
        Assert.Equal(["4"], suite.Items[0].Answers);
        Assert.Equal("exact", suite.Items[1].Scorer);
        Assert.Equal(2, suite.Items[1].Messages.Count);
        Assert.Equal("line-5", suite.Items[2].Id);
        Assert.Contains("\"required\"", suite.Items[2].ScorerOptionsJson);
    }

    [Theory]
    [InlineData("{\"id\": \"a\", \"prompt\": \"x\"", "not valid JSON")]
    [InlineData("{\"id\": \"a\", \"answer\": \"x\"}", "exactly one of \"prompt\" or \"messages\"")]
    [InlineData("{\"id\": \"a\", \"prompt\": \"x\"}", "needs \"answer\" or \"answers\"")]
    [InlineData("{\"id\": \"a\", \"messages\": [{\"role\": \"robot\", \"content\": \"x\"}], \"answer\": \"y\"}", "role")]
    public void BadLinesNameFileAndLine(string badLine, string problem)
    {
        var path = Write("bad.jsonl", "{\"id\": \"ok\", \"prompt\": \"p\", \"answer\": \"a\"}\n" + badLine + "\n");
        var e = Assert.Throws<SuiteException>(() => JsonlItemReader.Read(new StreamReader(path), path, "exact"));
        Assert.StartsWith($"{path}:2: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void DuplicateIdsAreRejectedWithBothLines()
    {
        var path = Write("dup.jsonl", "{\"id\": \"a\", \"prompt\": \"p\", \"answer\": \"a\"}\n{\"id\": \"a\", \"prompt\": \"q\", \"answer\": \"b\"}\n");
        var e = Assert.Throws<SuiteException>(() => JsonlItemReader.Read(new StreamReader(path), path, "exact"));
        Assert.Contains(":2: id 'a' was already used on line 1", e.Message);
    }

    [Fact]
    public async Task YamlManifestCarriesSharedSettings()
    {
        Write("items/support.jsonl", "{\"id\": \"s1\", \"prompt\": \"Refund?\", \"answer\": \"refund\", \"category\": \"support\"}\n");
        var manifest = Write("support.yaml", """
            name: support-suite
            description: Customer support checks
            scorer: contains
            system_prompt: You are a support agent.
            few_shot:
              - user: Hi
                assistant: Hello, how can I help?
            generation: { max_tokens: 200, temperature: 0.2 }
            categories: [support, billing]
            items: [items/support.jsonl]
            """);
        var suite = await new SuiteResolver().ResolveAsync(manifest, default);
        Assert.Equal("support-suite", suite.Name);
        Assert.Equal("contains", suite.Items[0].Scorer);
        Assert.Equal("You are a support agent.", suite.SystemPrompt);
        Assert.Equal(2, suite.FewShot.Count);
        Assert.Equal(200, suite.Generation.MaxOutputTokens);
        Assert.Equal(0.2f, suite.Generation.Temperature);

        var wrongCategory = Write("other.yaml", "name: x\ncategories: [billing]\nitems: [items/support.jsonl]\n");
        Assert.Contains("category 'support'", (await Assert.ThrowsAsync<SuiteException>(() => new SuiteResolver().ResolveAsync(wrongCategory, default))).Message);
        var badOption = Write("bad.yaml", "name: x\ngeneration: { max_tokens: lots }\nitems: [items/support.jsonl]\n");
        Assert.Contains("generation.max_tokens", (await Assert.ThrowsAsync<SuiteException>(() => new SuiteResolver().ResolveAsync(badOption, default))).Message);
    }

    [Fact]
    public async Task QuickSuiteIsLargeVariedAndEveryReferenceReplyScoresRight()
    {
        var suite = BuiltInSuites.Quick();
        Assert.InRange(suite.Items.Count, 110, 130);
        var categories = suite.Items.GroupBy(i => i.Category).ToDictionary(g => g.Key!, g => g.Count());
        foreach (var c in new[] { "knowledge", "arithmetic", "reasoning", "instruction", "extraction", "classification", "multilingual", "enterprise" })
            Assert.True(categories.GetValueOrDefault(c) >= 8, $"category {c} has {categories.GetValueOrDefault(c)} items");
        foreach (var lang in new[] { "en", "zh", "fr", "id" }) Assert.Contains(suite.Items, i => i.Id.StartsWith($"multilingual-{lang}-", StringComparison.Ordinal));
        var scorers = new ScorerRegistry();
        var wrongAccepted = 0;
        foreach (var item in suite.Items)
        {
            Assert.False(string.IsNullOrEmpty(item.ReferenceReply), $"{item.Id} has no reference reply");
            Assert.True((await scorers.Get(item.Scorer).ScoreAsync(item, item.ReferenceReply!, default)).Score == 1, $"{item.Id}: its reference reply is not scored right");
            if ((await scorers.Get(item.Scorer).ScoreAsync(item, "I don't know.", default)).Score > 0) wrongAccepted++;
        }
        // Only "must not mention X" items can be passed by a non-answer.
        Assert.Equal(suite.Items.Count(i => i.Scorer == "not-contains"), wrongAccepted);
    }

    [Fact]
    public void LimitSamplesWithAFixedSeed()
    {
        var suite = BuiltInSuites.Quick();
        var a = SuiteResolver.Sample(suite, 10, seed: 5);
        var b = SuiteResolver.Sample(suite, 10, seed: 5);
        var c = SuiteResolver.Sample(suite, 10, seed: 6);
        Assert.Equal(a.Items.Select(i => i.Id), b.Items.Select(i => i.Id));
        Assert.NotEqual(a.Items.Select(i => i.Id), c.Items.Select(i => i.Id));
        Assert.Equal(10, a.Items.Count);
        Assert.Same(suite, SuiteResolver.Sample(suite, null));
    }

    [Fact]
    public void CombinedSuitesKeepTheirSystemPromptsAndPrefixIds()
    {
        var quick = BuiltInSuites.Quick();
        var other = new Suite { Name = "mine", Items = [quick.Items[0] with { Id = "knowledge-01" }] };
        var combined = SuiteResolver.Combine([quick, other]);
        Assert.Equal("quick+mine", combined.Name);
        Assert.Contains(combined.Items, i => i.Id == "quick/knowledge-01" && i.Messages[0].Role == "system");
        Assert.Contains(combined.Items, i => i.Id == "mine/knowledge-01" && i.Messages[0].Role == "user");
    }

    [Fact]
    public async Task UnknownSuiteArgumentSaysWhatIsAccepted()
    {
        var e = await Assert.ThrowsAsync<SuiteException>(() => new SuiteResolver().ResolveAsync(Path.Combine(_dir, "nope.jsonl"), default));
        Assert.Contains("gsm8k:PATH", e.Message);
    }
}
