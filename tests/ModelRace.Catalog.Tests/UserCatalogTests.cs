using ModelRace.Core.Catalog;

namespace ModelRace.Catalog.Tests;

/// <summary>User card directories (~/.modelrace/catalog/ or --catalog DIR) layered over the built-in cards.</summary>
public sealed class UserCatalogTests : IDisposable
{
    private readonly TempCatalogDirectory _dir = new();
    private readonly TempCatalogDirectory _second = new();

    public void Dispose()
    {
        _dir.Dispose();
        _second.Dispose();
    }

    private static string Override(string id, string displayName, decimal input) =>
        CardYaml.Valid.Replace("id: acme-7b", $"id: {id}", StringComparison.Ordinal)
            .Replace("display_name: Acme 7B", $"display_name: {displayName}", StringComparison.Ordinal)
            .Replace("input: 0.10", $"input: {input.ToString(System.Globalization.CultureInfo.InvariantCulture)}", StringComparison.Ordinal);

    [Fact]
    public void A_user_card_replaces_the_built_in_card_with_the_same_id()
    {
        var builtIn = ModelCatalog.BuiltInOnly().Find("gpt-4o-mini")!;
        var file = _dir.Write("ours.yaml", Override("GPT-4o-Mini", "Our negotiated GPT-4o mini", 0.11m));

        var catalog = ModelCatalog.Load([_dir.Path]);

        var card = catalog.Find("gpt-4o-mini")!;
        Assert.Equal("Our negotiated GPT-4o mini", card.DisplayName);
        Assert.Equal(0.11m, card.Prices!.InputPerMillion);
        Assert.Equal(file, card.Origin);
        Assert.NotEqual(builtIn.DisplayName, card.DisplayName);
        Assert.Equal(ModelCatalog.BuiltInOnly().Cards.Count, catalog.Cards.Count);
        Assert.Single(catalog.Cards, c => c.Id.Equals("gpt-4o-mini", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void New_user_cards_are_added_from_yaml_and_yml_files_in_subfolders_and_other_files_are_ignored()
    {
        _dir.Write("acme.yaml", CardYaml.Valid);
        _dir.Write("vendors/beta.yml", Override("beta-1b", "Beta 1B", 0.01m));
        _dir.Write("notes.txt", "not a card: {");

        var catalog = ModelCatalog.Load([_dir.Path]);

        Assert.NotNull(catalog.Find("acme-7b"));
        Assert.NotNull(catalog.Find("beta-1b"));
        Assert.Equal(ModelCatalog.BuiltInOnly().Cards.Count + 2, catalog.Cards.Count);
    }

    [Fact]
    public void A_later_directory_overrides_an_earlier_one()
    {
        _dir.Write("acme.yaml", Override("acme-7b", "From home", 0.10m));
        _second.Write("acme.yaml", Override("acme-7b", "From --catalog", 0.20m));

        var catalog = ModelCatalog.Load([_dir.Path, _second.Path]);

        Assert.Equal("From --catalog", catalog.Find("acme-7b")!.DisplayName);
    }

    [Fact]
    public void The_same_id_twice_in_one_user_directory_is_an_error_naming_both_files()
    {
        var first = _dir.Write("a.yaml", CardYaml.Valid);
        var second = _dir.Write("b.yaml", CardYaml.Valid);

        var error = Assert.Throws<CatalogException>(() => ModelCatalog.Load([_dir.Path]));

        Assert.Equal("id", error.Field);
        Assert.Contains(first, error.Message, StringComparison.Ordinal);
        Assert.Contains(second, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_user_card_fails_the_load_and_names_its_file()
    {
        var file = _dir.Write("broken.yaml", CardYaml.Valid.Replace("input: 0.10", "input: -1", StringComparison.Ordinal));
        var error = Assert.Throws<CatalogException>(() => ModelCatalog.Load([_dir.Path]));
        Assert.Equal(file, error.File);
        Assert.Equal("prices.input", error.Field);
    }

    [Fact]
    public void An_unknown_licence_id_in_a_user_card_is_reported_as_a_warning()
    {
        _dir.Write("acme.yaml", CardYaml.Valid.Replace("id: Apache-2.0", "id: acme-licence", StringComparison.Ordinal));
        var catalog = ModelCatalog.Load([_dir.Path]);
        Assert.Contains(catalog.Warnings, w => w.Contains("acme-licence", StringComparison.Ordinal));
        Assert.NotNull(catalog.Find("acme-7b"));
    }

    [Fact]
    public void A_missing_directory_is_skipped_because_the_home_catalog_is_optional()
    {
        var catalog = ModelCatalog.Load([Path.Combine(_dir.Path, "does-not-exist")]);
        Assert.Equal(ModelCatalog.BuiltInOnly().Cards.Count, catalog.Cards.Count);
    }

    [Fact]
    public void A_user_card_is_found_by_its_deployment()
    {
        _dir.Write("acme.yaml", CardYaml.Valid);
        var catalog = ModelCatalog.Load([_dir.Path]);
        Assert.Equal("acme-7b", catalog.FindByDeployment("ACME-cloud", "acme-7b-chat")?.Id);
        Assert.Null(catalog.FindByDeployment("acme-cloud", "acme-70b-chat"));
        Assert.Equal(ModelAccess.OpenWeights, catalog.Find("ACME-7B")!.Access);
    }
}
