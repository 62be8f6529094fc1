using ModelRace.Core.Catalog;

namespace ModelRace.Catalog.Tests;

/// <summary>The `models` filters on a small catalog of parsed cards, loaded as a user directory.</summary>
public sealed class CatalogQueryTests : IDisposable
{
    private readonly TempCatalogDirectory _dir = new();
    private readonly ModelCatalog _catalog;

    public CatalogQueryTests()
    {
        _dir.Write("small.yaml", string.Join("\n---\n",
            CardYaml.Minimal("zz-open-free", "open-weights", "allowed", 0.10m, "llama-3"),
            CardYaml.Minimal("zz-open-capped", "both", "allowed", 0.90m, "llama-3.1"),
            CardYaml.Minimal("zz-open-grant", "open-weights", "restricted", null, "qwen2"),
            CardYaml.Minimal("zz-open-nc", "open-weights", "prohibited", 0.05m, "qwen2.5"),
            CardYaml.Minimal("zz-api", "api-only", "allowed", 2.50m, "gpt-4o"),
            CardYaml.Minimal("zz-api-unknown", "api-only", "unknown", null, "ernie-4"),
            CardYaml.Minimal("zz-unknown-access", "unknown", "allowed", 0.20m, "mystery")));
        _catalog = ModelCatalog.Load([_dir.Path]);
    }

    public void Dispose() => _dir.Dispose();

    private List<string> Ids(CatalogQuery query) =>
        _catalog.Query(query).Select(c => c.Id).Where(id => id.StartsWith("zz-", StringComparison.Ordinal)).ToList();

    [Fact]
    public void No_filter_lists_every_card()
    {
        Assert.Equal(7, Ids(new CatalogQuery()).Count);
        Assert.True(_catalog.Cards.Count > 7, "built-in cards are listed alongside user cards");
    }

    [Fact]
    public void Open_lists_downloadable_weights_including_both() =>
        Assert.Equal(["zz-open-capped", "zz-open-free", "zz-open-grant", "zz-open-nc"], Ids(new CatalogQuery { OpenOnly = true }));

    [Fact]
    public void Closed_lists_models_without_downloadable_weights() =>
        Assert.Equal(["zz-api", "zz-api-unknown", "zz-unknown-access"], Ids(new CatalogQuery { ClosedOnly = true }));

    [Fact]
    public void Commercial_lists_only_allowed_never_restricted_prohibited_or_unknown() =>
        Assert.Equal(["zz-api", "zz-open-capped", "zz-open-free", "zz-unknown-access"], Ids(new CatalogQuery { CommercialOnly = true }));

    [Fact]
    public void Open_and_commercial_combine() =>
        Assert.Equal(["zz-open-capped", "zz-open-free"], Ids(new CatalogQuery { OpenOnly = true, CommercialOnly = true }));

    [Fact]
    public void Max_input_price_is_inclusive_and_leaves_out_unpriced_models()
    {
        Assert.Equal(["zz-open-free", "zz-open-nc"], Ids(new CatalogQuery { MaxInputPricePerMillion = 0.10m }));
        Assert.Equal(["zz-open-nc"], Ids(new CatalogQuery { MaxInputPricePerMillion = 0.05m }));
        Assert.Empty(Ids(new CatalogQuery { MaxInputPricePerMillion = 0.01m }));
    }

    [Fact]
    public void Family_is_a_case_insensitive_prefix()
    {
        Assert.Equal(["zz-open-capped", "zz-open-free"], Ids(new CatalogQuery { Family = "LLAMA-3" }));
        Assert.Equal(["zz-open-capped"], Ids(new CatalogQuery { Family = "llama-3.1" }));
        Assert.Equal(["zz-open-grant", "zz-open-nc"], Ids(new CatalogQuery { Family = "qwen2" }));
        Assert.Empty(Ids(new CatalogQuery { Family = "falcon-zz" }));
    }

    [Fact]
    public void All_filters_together()
    {
        var query = new CatalogQuery { OpenOnly = true, CommercialOnly = true, MaxInputPricePerMillion = 0.5m, Family = "llama" };
        Assert.Equal(["zz-open-free"], Ids(query));
    }

    [Fact]
    public void Built_in_family_filter_finds_each_required_family()
    {
        var builtIn = ModelCatalog.BuiltInOnly();
        foreach (var family in new[] { "llama-2", "llama-3", "llama-3.1", "qwen2", "qwen2.5", "qwen3", "falcon", "mistral", "mixtral", "mistral-large",
                     "gemma", "gemma-2", "phi-3", "chatglm", "glm-4", "baichuan-2", "deepseek-v3", "deepseek-r1", "gpt-3.5", "gpt-4o", "claude-3.5", "gemini-1.5", "ernie-4" })
            Assert.True(builtIn.Query(new CatalogQuery { Family = family }).Any(), $"no built-in card in family '{family}'");
    }

    [Fact]
    public void Results_are_ordered_by_organisation_then_id()
    {
        var rows = ModelCatalog.BuiltInOnly().Query(new CatalogQuery()).ToList();
        var expected = rows.OrderBy(c => c.Organisation, StringComparer.OrdinalIgnoreCase).ThenBy(c => c.Id, StringComparer.Ordinal).Select(c => c.Id);
        Assert.Equal(expected, rows.Select(c => c.Id));
        Assert.Equal("Alibaba Cloud", rows[0].Organisation);
    }
}
