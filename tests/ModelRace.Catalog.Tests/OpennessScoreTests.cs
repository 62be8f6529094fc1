using FsCheck;
using FsCheck.Fluent;
using ModelRace.Core.Catalog;

namespace ModelRace.Catalog.Tests;

/// <summary>Openness score: open = 1, partial = 0.5, closed = 0, averaged over the graded dimensions only.</summary>
public sealed class OpennessScoreTests
{
    private static ModelCard CardWith(params (string Dimension, string Grade)[] grades)
    {
        var openness = grades.Length == 0 ? "" :
            "\nopenness:\n" + string.Concat(grades.Select(g => $"  {g.Dimension}: {{ grade: {g.Grade}, evidence: \"https://example.com/{g.Dimension}\" }}\n"));
        return CardYaml.ParseOne(CardYaml.Minimal("scored", "open-weights", "allowed") + openness);
    }

    [Fact]
    public void A_card_without_grades_has_no_score() => Assert.Null(CardWith().OpennessScore);

    [Fact]
    public void Unknown_grades_do_not_count() =>
        Assert.Null(CardWith(("paper", "unknown"), ("datasheet", "unknown")).OpennessScore);

    [Fact]
    public void Open_partial_and_closed_weigh_one_half_and_zero()
    {
        Assert.Equal(1.0, CardWith(("base_weights", "open")).OpennessScore);
        Assert.Equal(0.5, CardWith(("base_weights", "partial")).OpennessScore);
        Assert.Equal(0.0, CardWith(("base_weights", "closed")).OpennessScore);
        Assert.Equal(0.5, CardWith(("base_weights", "open"), ("training_code", "closed"), ("paper", "unknown")).OpennessScore);
        Assert.Equal(2.5 / 4, CardWith(("base_weights", "open"), ("end_weights", "open"), ("licence", "partial"), ("datasheet", "closed")).OpennessScore!.Value, 12);
    }

    [Fact]
    public void A_built_in_score_matches_its_grades()
    {
        // Llama 3.1 405B in the OSAI index: 1 open, 5 partial, 6 closed of 12 graded.
        var card = ModelCatalog.BuiltInOnly().Find("llama-3.1-405b-instruct")!;
        Assert.Equal(12, card.Openness.Count);
        Assert.Equal((1 + 5 * 0.5) / 12, card.OpennessScore!.Value, 12);
    }

    [FsCheck.Xunit.Property]
    public Property Score_is_the_mean_of_the_graded_weights(OpennessGrade[] grades)
    {
        var graded = grades.Where(g => g != OpennessGrade.Unknown).ToList();
        var score = OpennessScoring.Score(grades);
        if (graded.Count == 0) return (score is null).ToProperty();
        var expected = graded.Sum(g => g == OpennessGrade.Open ? 1.0 : g == OpennessGrade.Partial ? 0.5 : 0.0) / graded.Count;
        return (score is { } s && Math.Abs(s - expected) < 1e-12 && s is >= 0 and <= 1).ToProperty();
    }
}
