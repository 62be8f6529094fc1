using ModelRace.Core.Catalog;

namespace ModelRace.Catalog.Tests;

/// <summary>The embedded cards: they load cleanly, cite a source for every fact, and say what the licences say.</summary>
public sealed class BuiltInCatalogTests
{
    private static readonly ModelCatalog Catalog = ModelCatalog.BuiltInOnly();

    private static ModelCard Card(string id) => Catalog.Find(id) ?? throw new Xunit.Sdk.XunitException($"no built-in card '{id}'");

    public static TheoryData<string> RequiredIds =>
    [
        "llama-2-7b-chat", "llama-2-13b-chat", "llama-2-70b-chat",
        "llama-3-8b-instruct", "llama-3-70b-instruct",
        "llama-3.1-8b-instruct", "llama-3.1-70b-instruct", "llama-3.1-405b-instruct",
        "qwen2-7b-instruct", "qwen2-72b-instruct",
        "qwen2.5-0.5b-instruct", "qwen2.5-7b-instruct", "qwen2.5-72b-instruct",
        "qwen3-8b", "qwen3-32b", "qwen3-235b-a22b",
        "falcon-7b-instruct", "falcon-40b-instruct", "falcon-180b-chat",
        "mistral-7b-instruct-v0.1", "mixtral-8x7b-instruct", "mistral-large-2411",
        "gemma-7b-it", "gemma-2-9b-it", "gemma-2-27b-it",
        "phi-3-mini-4k-instruct", "phi-3-mini-128k-instruct",
        "chatglm-6b", "glm-4-9b-chat",
        "baichuan2-7b-chat", "baichuan2-13b-chat",
        "deepseek-v3", "deepseek-r1",
        "gpt-3.5-turbo", "gpt-4o", "gpt-4o-mini",
        "claude-3.5-sonnet",
        "gemini-1.5-pro", "gemini-1.5-flash",
        "ernie-4.0",
    ];

    [Theory]
    [MemberData(nameof(RequiredIds))]
    public void Required_model_is_present(string id) => Assert.NotNull(Catalog.Find(id));

    [Fact]
    public void Built_in_cards_load_without_warnings()
    {
        Assert.Empty(Catalog.Warnings);
        Assert.All(Catalog.Cards, c => Assert.StartsWith("built-in:", c.Origin, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_general_fact_cites_a_dated_source()
    {
        foreach (var card in Catalog.Cards)
        {
            var hasFacts = card.ReleaseDate is not null || card.Parameters.Total is not null || card.ContextWindow is not null || card.Jurisdiction is not null;
            if (!hasFacts) continue;
            AssertDatedHttpsSource(card.Source, $"{card.Id}: source");
        }
    }

    [Fact]
    public void Every_licence_with_terms_cites_a_dated_source_and_its_urls_are_absolute()
    {
        foreach (var card in Catalog.Cards.Where(c => c.Licence is not null))
        {
            var licence = card.Licence!;
            if (licence.CommercialUse != Permission.Unknown || licence.UserCapMonthlyActiveUsers is not null
                || licence.NamingRule is not null || licence.OutputsMayTrainOtherModels != Permission.Unknown)
                AssertDatedHttpsSource(licence.Source, $"{card.Id}: licence.source");
            foreach (var url in new[] { licence.Url, licence.AcceptableUsePolicyUrl }.OfType<string>())
                AssertHttps(url, $"{card.Id}: licence url");
        }
    }

    [Fact]
    public void Every_price_is_non_negative_and_cites_a_dated_source()
    {
        var priced = Catalog.Cards.Where(c => c.Prices is not null).ToList();
        Assert.NotEmpty(priced);
        foreach (var card in priced)
        {
            var p = card.Prices!;
            Assert.True(p.InputPerMillion is null or >= 0, $"{card.Id}: input price");
            Assert.True(p.OutputPerMillion is null or >= 0, $"{card.Id}: output price");
            Assert.True(p.CachedInputPerMillion is null or >= 0, $"{card.Id}: cached input price");
            Assert.True(p.CachedInputPerMillion is null || p.CachedInputPerMillion <= p.InputPerMillion, $"{card.Id}: a cached input costs more than a fresh one");
            Assert.Matches("^[A-Z]{3}$", p.Currency);
            AssertDatedHttpsSource(p.Source, $"{card.Id}: prices.source");
        }
    }

    [Fact]
    public void Every_openness_grade_is_graded_and_cites_evidence()
    {
        var graded = Catalog.Cards.Where(c => c.Openness.Count > 0).ToList();
        Assert.NotEmpty(graded);
        foreach (var card in graded)
        {
            foreach (var (dimension, entry) in card.Openness)
            {
                Assert.True(Enum.IsDefined(entry.Grade) && entry.Grade != OpennessGrade.Unknown, $"{card.Id}: {dimension} has no grade");
                AssertHttps(entry.EvidenceUrl, $"{card.Id}: openness {dimension} evidence");
            }
            Assert.InRange(card.OpennessScore!.Value, 0.0, 1.0);
        }
    }

    [Fact]
    public void Open_weight_cards_state_their_commercial_terms_and_moe_cards_their_active_parameters()
    {
        foreach (var card in Catalog.Cards.Where(c => c.IsOpenWeights))
            Assert.True(card.Licence is { CommercialUse: not Permission.Unknown }, $"{card.Id}: open weights without a commercial-use term");
        foreach (var id in new[] { "mixtral-8x7b-instruct", "deepseek-v3", "deepseek-r1", "qwen3-235b-a22b" })
        {
            var p = Card(id).Parameters;
            Assert.True(p is { Total: { } total, Active: { } active } && active < total, $"{id}: MoE needs total and active parameters");
        }
        Assert.Equal(new ParameterCount(46.7e9, 12.9e9), Card("mixtral-8x7b-instruct").Parameters);
        Assert.Equal(new ParameterCount(671e9, 37e9), Card("deepseek-r1").Parameters);
    }

    [Theory]
    [InlineData("llama-2-70b-chat", 700_000_000L, Permission.Prohibited)]
    [InlineData("llama-3-8b-instruct", 700_000_000L, Permission.Prohibited)]
    [InlineData("llama-3.1-405b-instruct", 700_000_000L, Permission.Allowed)]
    [InlineData("qwen2-72b-instruct", 100_000_000L, Permission.Prohibited)]
    [InlineData("qwen2.5-72b-instruct", 100_000_000L, Permission.Allowed)]
    public void Capped_licences_allow_commercial_use_and_record_the_cap(string id, long cap, Permission outputs)
    {
        var licence = Card(id).Licence!;
        Assert.Equal(Permission.Allowed, licence.CommercialUse);
        Assert.Equal(cap, licence.UserCapMonthlyActiveUsers);
        Assert.Equal(outputs, licence.OutputsMayTrainOtherModels);
    }

    [Theory]
    [InlineData("falcon-180b-chat")]
    [InlineData("baichuan2-7b-chat")]
    [InlineData("baichuan2-13b-chat")]
    [InlineData("chatglm-6b")]
    [InlineData("glm-4-9b-chat")]
    [InlineData("mistral-large-2411")]
    public void Licences_that_need_a_grant_are_restricted_and_say_why(string id)
    {
        var licence = Card(id).Licence!;
        Assert.Equal(Permission.Restricted, licence.CommercialUse);
        Assert.False(string.IsNullOrWhiteSpace(licence.Source?.Note), $"{id}: a restricted licence must explain the restriction in licence.source.note");
    }

    [Fact]
    public void Naming_rules_and_use_policies_are_recorded()
    {
        Assert.Contains("Built with Llama", Card("llama-3.1-8b-instruct").Licence!.NamingRule, StringComparison.Ordinal);
        Assert.Contains("Built with Meta Llama 3", Card("llama-3-70b-instruct").Licence!.NamingRule, StringComparison.Ordinal);
        Assert.Contains("Built with Qwen", Card("qwen2.5-72b-instruct").Licence!.NamingRule, StringComparison.Ordinal);
        Assert.Equal("https://ai.google.dev/gemma/prohibited_use_policy", Card("gemma-2-9b-it").Licence!.AcceptableUsePolicyUrl);
        Assert.Equal(Permission.Allowed, Card("gemma-2-9b-it").Licence!.CommercialUse);
    }

    [Fact]
    public void Open_and_commercial_filter_on_built_ins_follows_the_licences()
    {
        var ids = Catalog.Query(new CatalogQuery { OpenOnly = true, CommercialOnly = true }).Select(c => c.Id).ToHashSet();
        Assert.Superset(new HashSet<string> { "llama-3.1-8b-instruct", "qwen2.5-0.5b-instruct", "qwen3-235b-a22b", "mixtral-8x7b-instruct", "deepseek-r1", "phi-3-mini-4k-instruct", "falcon-40b-instruct", "gemma-7b-it" }, ids);
        foreach (var excluded in new[] { "falcon-180b-chat", "baichuan2-13b-chat", "chatglm-6b", "glm-4-9b-chat", "mistral-large-2411", "gpt-4o", "claude-3.5-sonnet", "ernie-4.0" })
            Assert.DoesNotContain(excluded, ids);
    }

    [Theory]
    [InlineData("openai", "gpt-4o-mini", "gpt-4o-mini")]
    [InlineData("deepseek", "deepseek-chat", "deepseek-v3")]
    [InlineData("deepseek", "deepseek-reasoner", "deepseek-r1")]
    [InlineData("anthropic", "claude-3-5-sonnet-20241022", "claude-3.5-sonnet")]
    [InlineData("gemini", "gemini-1.5-pro", "gemini-1.5-pro")]
    [InlineData("ollama", "llama3.1:8b", "llama-3.1-8b-instruct")]
    [InlineData("dashscope", "qwen2.5-72b-instruct", "qwen2.5-72b-instruct")]
    public void Deployments_map_provider_model_names_to_cards(string provider, string model, string expectedId) =>
        Assert.Equal(expectedId, Catalog.FindByDeployment(provider, model)?.Id);

    [Fact]
    public void No_two_cards_claim_the_same_deployment()
    {
        var duplicates = Catalog.Cards.SelectMany(c => c.Deployments.Select(d => (Key: $"{d.Provider}/{d.ModelName}".ToLowerInvariant(), c.Id)))
            .GroupBy(x => x.Key).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Id))}");
        Assert.Empty(duplicates);
    }

    private static void AssertDatedHttpsSource(Source? source, string what)
    {
        Assert.True(source is not null, $"{what} is missing");
        AssertHttps(source!.Url, what);
        Assert.True(source.AsOf is not null, $"{what} has no as_of date");
        Assert.True(source.AsOf <= DateOnly.FromDateTime(DateTime.UtcNow), $"{what} is dated in the future");
    }

    private static void AssertHttps(string? url, string what) =>
        Assert.True(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == "https", $"{what}: '{url}' is not an https URL");
}
