namespace ModelRace.Catalog.Tests;

/// <summary>Bad cards fail with a message that names the file, the field and the problem.</summary>
public sealed class CardParserErrorTests
{
    private const string File = "cards/acme.yaml";

    private static CatalogException Fails(string yaml)
    {
        var error = Assert.Throws<CatalogException>(() => CardParser.Parse(yaml, File));
        Assert.Equal(File, error.File);
        Assert.StartsWith(File, error.Message, StringComparison.Ordinal);
        return error;
    }

    private static void AssertNames(CatalogException error, string field, string problem)
    {
        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Contains($"field '{field}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_valid_fixture_parses_so_each_failure_below_comes_from_its_one_change()
    {
        var card = CardYaml.ParseOne(CardYaml.Valid);
        Assert.Equal("acme-7b", card.Id);
        Assert.Equal(0.10m, card.Prices!.InputPerMillion);
    }

    [Fact]
    public void Bad_yaml_syntax_names_the_file_and_line()
    {
        var error = Fails(CardYaml.Valid.Replace("modalities: [text]", "modalities: [text", StringComparison.Ordinal));
        Assert.Null(error.Field);
        Assert.Contains("is not valid YAML", error.Problem, StringComparison.Ordinal);
        Assert.NotNull(error.Line);
        Assert.Matches(@"^cards/acme\.yaml:\d+: ", error.Message);
    }

    [Fact]
    public void A_duplicate_key_is_refused()
    {
        var error = Fails(CardYaml.Valid + "\nfamily: other\n");
        Assert.Contains("family", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_price_is_refused() =>
        AssertNames(Fails(CardYaml.Valid.Replace("input: 0.10", "input: -0.10", StringComparison.Ordinal)), "prices.input", "must not be negative");

    [Fact]
    public void A_price_that_is_not_a_number_is_refused() =>
        AssertNames(Fails(CardYaml.Valid.Replace("output: 0.20", "output: cheap", StringComparison.Ordinal)), "prices.output", "must be a number");

    [Fact]
    public void An_unknown_grade_is_refused()
    {
        var error = Fails(CardYaml.Valid.Replace("grade: open", "grade: great", StringComparison.Ordinal));
        AssertNames(error, "openness.base_weights.grade", "'great' is not one of: open, partial, closed, unknown");
        Assert.NotNull(error.Line);
    }

    [Fact]
    public void An_unknown_openness_dimension_is_refused() =>
        AssertNames(Fails(CardYaml.Valid.Replace("base_weights:", "weights:", StringComparison.Ordinal)), "openness.weights", "is not an openness dimension");

    [Fact]
    public void An_openness_dimension_without_a_value_is_refused() =>
        AssertNames(Fails(CardYaml.Valid.Replace("training_code: { grade: closed, evidence: \"https://example.com/code\" }", "training_code:", StringComparison.Ordinal)),
            "openness.training_code", "is required");

    [Fact]
    public void A_grade_without_evidence_is_refused() =>
        AssertNames(Fails(CardYaml.Valid.Replace(", evidence: \"https://example.com/code\"", "", StringComparison.Ordinal)),
            "openness.training_code.evidence", "a 'closed' grade needs an evidence URL");

    [Theory]
    [InlineData("commercial_use: allowed", "comercial_use: allowed", "licence.comercial_use")]
    [InlineData("context_window: 8192", "context_windows: 8192", "context_windows")]
    [InlineData("parameters: { total: 7e9 }", "parameters: { total: 7e9, embedding: 1e9 }", "parameters.embedding")]
    [InlineData("- { provider: acme-cloud, model: acme-7b-chat }", "- { provider: acme-cloud, model: acme-7b-chat, region: eu }", "deployments[0].region")]
    public void An_unknown_field_is_refused_so_a_typo_cannot_drop_a_fact(string from, string to, string field)
    {
        var error = Fails(CardYaml.Valid.Replace(from, to, StringComparison.Ordinal));
        AssertNames(error, field, "is not a known field");
        Assert.NotNull(error.Line);
    }

    [Fact]
    public void A_price_without_a_source_is_refused() =>
        AssertNames(Fails(CardYaml.Valid.Replace("  source: { url: \"https://example.com/pricing\", as_of: 2025-01-02 }", "", StringComparison.Ordinal)),
            "prices.source", "is required");

    [Fact]
    public void A_price_source_without_a_date_is_refused() =>
        AssertNames(Fails(CardYaml.Valid.Replace("\"https://example.com/pricing\", as_of: 2025-01-02", "\"https://example.com/pricing\"", StringComparison.Ordinal)),
            "prices.source.as_of", "is required");

    [Fact]
    public void General_facts_without_a_source_are_refused() =>
        AssertNames(Fails(CardYaml.Valid.Replace("source: { url: \"https://example.com/acme-7b\", as_of: 2025-01-02 }\n", "", StringComparison.Ordinal)),
            "source", "need a source URL");

    [Fact]
    public void Licence_terms_without_a_source_are_refused() =>
        AssertNames(Fails(CardYaml.Valid.Replace("  source: { url: \"https://example.com/licence\", as_of: 2025-01-02 }\n", "", StringComparison.Ordinal)),
            "licence.source", "licence terms need");

    [Fact]
    public void A_source_that_is_not_a_web_url_is_refused() =>
        AssertNames(Fails(CardYaml.Valid.Replace("https://example.com/acme-7b", "file:///etc/passwd", StringComparison.Ordinal)),
            "source.url", "must be an http(s) URL");

    [Theory]
    [InlineData("release_date: 2025-01-02", "release_date: 2 Jan 2025", "release_date", "must be a date")]
    [InlineData("access: open-weights", "access: sometimes", "access", "'sometimes' is not one of")]
    [InlineData("commercial_use: allowed", "commercial_use: maybe", "licence.commercial_use", "'maybe' is not one of")]
    [InlineData("currency: USD", "currency: dollars", "prices.currency", "three-letter ISO 4217 code")]
    [InlineData("context_window: 8192", "context_window: -5", "context_window", "must be a positive whole number")]
    [InlineData("context_window: 8192", "context_window: 3000000000", "context_window", "too large")]
    [InlineData("parameters: { total: 7e9 }", "parameters: { total: 7e9, active: 8e9 }", "parameters.active", "cannot exceed parameters.total")]
    [InlineData("id: acme-7b", "id: acme 7b", "id", "must not contain spaces")]
    [InlineData("display_name: Acme 7B", "display_name: ", "display_name", "is required")]
    [InlineData("modalities: [text]", "modalities: text", "modalities", "must be a list")]
    public void A_bad_value_names_its_field(string from, string to, string field, string problem) =>
        AssertNames(Fails(CardYaml.Valid.Replace(from, to, StringComparison.Ordinal)), field, problem);

    [Fact]
    public void A_key_that_is_not_a_name_is_refused()
    {
        var error = Fails(CardYaml.Valid + "\n? [a, b]\n: c\n");
        Assert.Contains("key that is not a plain name", error.Problem, StringComparison.Ordinal);
        Assert.NotNull(error.Line);
    }

    [Fact]
    public void A_document_that_is_not_a_mapping_is_refused()
    {
        var error = Fails(CardYaml.Valid + "\n---\n- just\n- a list\n");
        Assert.Contains("must be a mapping", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_licence_id_is_a_warning_not_an_error()
    {
        var warnings = new List<string>();
        var card = CardYaml.ParseOne(CardYaml.Valid.Replace("id: Apache-2.0", "id: acme-community-licence", StringComparison.Ordinal), File, warnings);
        Assert.Equal("acme-community-licence", card.Licence!.Id);
        var warning = Assert.Single(warnings);
        Assert.Contains(File, warning, StringComparison.Ordinal);
        Assert.Contains("acme-7b", warning, StringComparison.Ordinal);
        Assert.Contains("'acme-community-licence'", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Apache-2.0")]
    [InlineData("apache-2.0")]
    [InlineData("llama3.1")]
    [InlineData("falcon-180b-tii")]
    public void Known_licence_ids_give_no_warning(string id)
    {
        var warnings = new List<string>();
        CardYaml.ParseOne(CardYaml.Valid.Replace("id: Apache-2.0", $"id: {id}", StringComparison.Ordinal), File, warnings);
        Assert.Empty(warnings);
    }

    [Fact]
    public void Several_cards_in_one_file_and_a_trailing_separator_parse()
    {
        var second = CardYaml.Valid.Replace("id: acme-7b", "id: acme-70b", StringComparison.Ordinal);
        var cards = CardParser.Parse($"# two cards\n{CardYaml.Valid}\n---\n{second}\n---\n", File);
        Assert.Equal(["acme-7b", "acme-70b"], cards.Select(c => c.Id));
        Assert.All(cards, c => Assert.Equal(File, c.Origin));
    }

    [Fact]
    public void Every_parsed_field_lands_on_the_card()
    {
        var card = CardYaml.ParseOne(CardYaml.Valid);
        Assert.Equal(("Acme 7B", "Acme", "acme"), (card.DisplayName, card.Organisation, card.Family));
        Assert.Equal(new DateOnly(2025, 1, 2), card.ReleaseDate);
        Assert.Equal(7e9, card.Parameters.Total);
        Assert.Null(card.Parameters.Active);
        Assert.Equal(8192, card.ContextWindow);
        Assert.Equal(["text"], card.Modalities);
        Assert.Equal(Core.Catalog.ModelAccess.OpenWeights, card.Access);
        Assert.Equal("NL", card.Jurisdiction);
        Assert.Equal(new Core.Catalog.Source("https://example.com/acme-7b", new DateOnly(2025, 1, 2)), card.Source);
        Assert.Equal(Core.Catalog.Permission.Allowed, card.Licence!.CommercialUse);
        Assert.Equal(Core.Catalog.Permission.Unknown, card.Licence.OutputsMayTrainOtherModels);
        Assert.Equal(new Core.Catalog.OpennessEntry(Core.Catalog.OpennessGrade.Open, "https://example.com/weights"), card.Openness[Core.Catalog.OpennessDimension.BaseWeights]);
        Assert.Equal(("USD", 0.10m, 0.20m, (decimal?)null), (card.Prices!.Currency, card.Prices.InputPerMillion, card.Prices.OutputPerMillion, card.Prices.CachedInputPerMillion));
        Assert.Equal(new Core.Catalog.Deployment("acme-cloud", "acme-7b-chat"), Assert.Single(card.Deployments));
    }
}
