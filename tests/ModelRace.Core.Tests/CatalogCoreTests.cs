using ModelRace.Core.Catalog;

namespace ModelRace.Core.Tests;

public class CatalogCoreTests
{
    private static ModelCard Card(string id, ModelAccess access, Permission commercial, decimal? input, string family = "fam") => new()
    {
        Id = id, DisplayName = id, Organisation = "Org", Family = family, Access = access,
        Licence = new LicenceTerms { Id = "x", CommercialUse = commercial },
        Prices = input is null ? null : new PriceSheet { Currency = "USD", InputPerMillion = input, Source = new Source("https://e.com", new DateOnly(2025, 1, 1)) },
    };

    [Fact]
    public void Openness_score_counts_only_graded_dimensions()
    {
        Assert.Null(OpennessScoring.Score([]));
        Assert.Null(OpennessScoring.Score([OpennessGrade.Unknown]));
        Assert.Equal(0.5, OpennessScoring.Score([OpennessGrade.Open, OpennessGrade.Closed, OpennessGrade.Unknown]));
        Assert.Equal(0.5, OpennessScoring.Score([OpennessGrade.Partial]));
        Assert.Equal(2.5 / 3, OpennessScoring.Score([OpennessGrade.Open, OpennessGrade.Open, OpennessGrade.Partial])!.Value, 10);
    }

    [Fact]
    public void Card_openness_score_uses_its_grades()
    {
        var card = Card("a", ModelAccess.OpenWeights, Permission.Allowed, null) with
        {
            Openness = new Dictionary<OpennessDimension, OpennessEntry>
            {
                [OpennessDimension.BaseWeights] = new(OpennessGrade.Open, "https://e.com"),
                [OpennessDimension.TrainingCode] = new(OpennessGrade.Closed, "https://e.com"),
            },
        };
        Assert.Equal(0.5, card.OpennessScore);
    }

    [Fact]
    public void Query_filters_combine()
    {
        var cards = new[]
        {
            Card("open-free", ModelAccess.OpenWeights, Permission.Allowed, 0.1m, "llama-3"),
            Card("open-nc", ModelAccess.OpenWeights, Permission.Prohibited, null, "llama-2"),
            Card("open-grant", ModelAccess.Both, Permission.Restricted, 0.5m, "qwen"),
            Card("api", ModelAccess.ApiOnly, Permission.Allowed, 2.5m, "gpt"),
        };
        string[] Ids(CatalogQuery q) => q.Apply(cards).Select(c => c.Id).ToArray();
        Assert.Equal(["open-free", "open-nc", "open-grant"], Ids(new CatalogQuery { OpenOnly = true }));
        Assert.Equal(["api"], Ids(new CatalogQuery { ClosedOnly = true }));
        Assert.Equal(["open-free"], Ids(new CatalogQuery { OpenOnly = true, CommercialOnly = true }));
        Assert.Equal(["open-free", "open-grant"], Ids(new CatalogQuery { MaxInputPricePerMillion = 0.5m }));
        Assert.Equal(["open-free", "open-nc"], Ids(new CatalogQuery { Family = "LLAMA" }));
    }
}
