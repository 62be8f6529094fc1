using ModelRace.Core.Race;
using ModelRace.Race.Scoring;

namespace ModelRace.Race.Tests;

public class ScorerTests
{
    private static SuiteItem Item(string scorer, string[] answers, string? options = null, int choices = 0) => new()
    {
        Id = "x", Messages = [new ChatTurn("user", "q")], Answers = answers, Scorer = scorer, ScorerOptionsJson = options,
        Choices = Enumerable.Range(0, choices).Select(i => $"choice {i}").ToList(),
    };

    private static double Score(IScorer scorer, SuiteItem item, string response) => scorer.ScoreAsync(item, response, default).Result.Score;

    [Theory]
    [InlineData("The answer is #### 1,234", "#### 1234", 1)]
    [InlineData("#### -5", "-5", 1)]
    [InlineData("#### 18.", "Janet makes 18 dollars.\n#### 18", 1)]
    [InlineData("#### $18", "18", 0)] // strict regex does not allow $: no match gives [invalid]
    [InlineData("So she pays 18 dollars.", "18", 0)] // no #### at all
    [InlineData("#### 7 and later #### 8", "7", 1)] // first match
    public void Gsm8kStrictFollowsTheHarness(string response, string reference, double expected) =>
        Assert.Equal(expected, Score(new Gsm8kScorer(false), Item("gsm8k-strict", [reference]), response));

    [Theory]
    [InlineData("First 3 apples, then 5, so the total is $1,250.", "1250", 1)]
    [InlineData("The result is -42", "-42", 1)]
    [InlineData("I get 12 at first but the answer is 15", "#### 15", 1)] // last match
    [InlineData("It is 7.", "7", 1)] // "7." matches the two-character branch, trailing dot stripped
    [InlineData("no digits here", "3", 0)]
    [InlineData("answer: 3", "4", 0)]
    public void Gsm8kFlexibleFollowsTheHarness(string response, string reference, double expected) =>
        Assert.Equal(expected, Score(new Gsm8kScorer(true), Item("gsm8k-flexible", [reference]), response));

    [Fact]
    public void Gsm8kNoMatchIsInvalid()
    {
        Assert.Equal("[invalid]", Gsm8kScorer.ExtractFlexible("none"));
        Assert.Equal("[invalid]", Gsm8kScorer.ExtractStrict("answer 5"));
        Assert.Equal("1,234", Gsm8kScorer.ExtractStrict("#### 1,234"));
        Assert.Equal("$1,250.", Gsm8kScorer.ExtractFlexible("costs $1,250."));
    }

    [Theory]
    [InlineData("B", "B", 1)]
    [InlineData("The answer is (C).", "C", 1)]
    [InlineData("Answer: d", "D", 1)]
    [InlineData("B) because photosynthesis needs light", "B", 1)]
    [InlineData("A or B, hard to say", "A", 0)] // several letters, no explicit answer: ambiguous
    [InlineData("I think A is wrong and B is wrong, so the answer is C", "C", 1)]
    [InlineData("E", "E", 0)] // only four choices
    [InlineData("I am not sure", "A", 0)]
    public void ChoiceExtractsOneLetter(string response, string reference, double expected) =>
        Assert.Equal(expected, Score(new ChoiceScorer(), Item("choice", [reference], choices: 4), response));

    [Theory]
    [InlineData("  Paris ", "paris", null, 1)]
    [InlineData("Paris.", "paris", null, 0)]
    [InlineData("Paris.", "paris", "{\"ignore_punctuation\": true}", 1)]
    [InlineData("PARIS", "paris", "{\"ignore_case\": false}", 0)]
    [InlineData("New   York", "new york", null, 1)]
    public void ExactMatchNormalises(string response, string reference, string? options, double expected) =>
        Assert.Equal(expected, Score(new ExactMatchScorer(), Item("exact", [reference], options), response));

    [Fact]
    public void ContainsAndNotContains()
    {
        Assert.Equal(1, Score(new ContainsScorer(false), Item("contains", ["refund"]), "We will REFUND you."));
        Assert.Equal(0, Score(new ContainsScorer(false), Item("contains", ["refund", "apolog"], "{\"all\": true}"), "We will refund you."));
        Assert.Equal(1, Score(new ContainsScorer(false), Item("contains", ["refund", "apolog"], "{\"all\": true}"), "We apologise and will refund you."));
        Assert.Equal(0, Score(new ContainsScorer(true), Item("not-contains", ["guarantee"]), "We Guarantee it"));
        Assert.Equal(1, Score(new ContainsScorer(true), Item("not-contains", ["guarantee"]), "We will try."));
    }

    [Fact]
    public void RegexMatchesAnywhere()
    {
        Assert.Equal(1, Score(new RegexScorer(), Item("regex", [@"^\d{4}-\d{2}-\d{2}$"]), "2024-03-01"));
        Assert.Equal(0, Score(new RegexScorer(), Item("regex", [@"^\d{4}-\d{2}-\d{2}$"]), "March 1, 2024"));
    }

    [Fact]
    public void JsonValidFindsJsonInProseAndFences()
    {
        var scorer = new JsonValidScorer();
        Assert.Equal(1, Score(scorer, Item("json", []), "Here you go:\n```json\n{\"a\": 1}\n```"));
        Assert.Equal(1, Score(scorer, Item("json", []), "Sure! {\"a\": [1, 2]} Hope that helps."));
        Assert.Equal(0, Score(scorer, Item("json", []), "{a: 1}"));
    }

    private const string PersonSchema = """
        {"schema": {"type": "object", "required": ["name", "age"], "properties": {
            "name": {"type": "string"}, "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "role": {"enum": ["admin", "user"]}, "tags": {"type": "array", "items": {"type": "string"}}}},
         "expected": {"name": "Ana"}}
        """;

    [Theory]
    [InlineData("{\"name\": \"Ana\", \"age\": 30}", 1)]
    [InlineData("{\"name\": \"ana \", \"age\": 30, \"role\": \"admin\", \"tags\": [\"x\"]}", 1)]
    [InlineData("{\"name\": \"Ana\"}", 0)] // missing required
    [InlineData("{\"name\": \"Ana\", \"age\": 30.5}", 0)] // not an integer
    [InlineData("{\"name\": \"Ana\", \"age\": 200}", 0)] // above maximum
    [InlineData("{\"name\": \"Ana\", \"age\": 3, \"role\": \"root\"}", 0)] // not in enum
    [InlineData("{\"name\": \"Ana\", \"age\": 3, \"tags\": [1]}", 0)] // item type
    [InlineData("{\"name\": \"Bob\", \"age\": 3}", 0)] // expected value differs
    [InlineData("not json", 0)]
    public void JsonSchemaSubset(string response, double expected) =>
        Assert.Equal(expected, Score(new JsonSchemaScorer(), Item("json-schema", [], PersonSchema), response));

    [Theory]
    [InlineData("<think>maybe 4</think>The answer is 5", "The answer is 5")]
    [InlineData("<think>still thinking when the limit hit", "")]
    [InlineData("reasoning without opener</think> 42", "42")]
    [InlineData("plain", "plain")]
    public void ThinkBlocksAreStripped(string text, string expected) => Assert.Equal(expected, ThinkStripper.Strip(text));

    [Fact]
    public void RegistryNamesUnknownScorersAndMissingJudge()
    {
        var registry = new ScorerRegistry();
        Assert.Contains("unknown scorer 'bogus'", Assert.Throws<ScoringException>(() => registry.Get("bogus")).Message);
        Assert.Contains("--judge", Assert.Throws<ScoringException>(() => registry.Get("judge-rubric")).Message);
        Assert.Same(registry.Get("numeric"), registry.Get("gsm8k-flexible"));
    }
}
