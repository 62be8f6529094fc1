using System.Text.RegularExpressions;
using ModelRace.Core.Catalog;

namespace ModelRace.Catalog.Tests;

/// <summary>docs/catalog.md stays true to the parser: its example card loads and it names every dimension.</summary>
public sealed partial class CatalogDocsTests
{
    private static string ReadDocs()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var docs = Path.Combine(dir.FullName, "docs", "catalog.md");
            if (File.Exists(Path.Combine(dir.FullName, "ModelRace.slnx")) && File.Exists(docs)) return File.ReadAllText(docs);
        }
        throw new Xunit.Sdk.XunitException("docs/catalog.md not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```yaml\\n(?<card>.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();

    [Fact]
    public void The_documented_example_card_parses_with_every_field_set()
    {
        var yaml = YamlBlock().Match(ReadDocs()).Groups["card"].Value;
        var card = CardYaml.ParseOne(yaml, "docs/catalog.md");
        Assert.Equal("acme-7b-instruct", card.Id);
        Assert.NotNull(card.ReleaseDate);
        Assert.NotNull(card.Licence?.UserCapMonthlyActiveUsers);
        Assert.NotNull(card.Prices?.CachedInputPerMillion);
        Assert.Equal(2, card.Openness.Count);
        Assert.Equal(2, card.Deployments.Count);
    }

    [Fact]
    public void Every_openness_dimension_and_permission_value_is_documented()
    {
        var docs = ReadDocs();
        foreach (var key in CardParser.DimensionNames.Keys)
            Assert.Contains($"`{key}`", docs, StringComparison.Ordinal);
        foreach (var value in new[] { "allowed", "restricted", "prohibited", "unknown" })
            Assert.Contains($"`{value}`", docs, StringComparison.Ordinal);
        Assert.Equal(12, Enum.GetValues<OpennessDimension>().Length);
    }
}
