using ModelRace.Catalog;
using ModelRace.Core.Catalog;

namespace ModelRace.Catalog.Tests;

/// <summary>Builds small, valid card YAML for tests, with one field changed where a test needs it.</summary>
internal static class CardYaml
{
    public const string Valid = """
        id: acme-7b
        display_name: Acme 7B
        organisation: Acme
        family: acme
        release_date: 2025-01-02
        parameters: { total: 7e9 }
        context_window: 8192
        modalities: [text]
        access: open-weights
        jurisdiction: NL
        source: { url: "https://example.com/acme-7b", as_of: 2025-01-02 }
        licence:
          id: Apache-2.0
          commercial_use: allowed
          source: { url: "https://example.com/licence", as_of: 2025-01-02 }
        openness:
          base_weights: { grade: open, evidence: "https://example.com/weights" }
          training_code: { grade: closed, evidence: "https://example.com/code" }
        prices:
          currency: USD
          input: 0.10
          output: 0.20
          source: { url: "https://example.com/pricing", as_of: 2025-01-02 }
        deployments:
          - { provider: acme-cloud, model: acme-7b-chat }
        """;

    public static ModelCard ParseOne(string yaml, string file = "test.yaml", List<string>? warnings = null) =>
        Assert.Single(CardParser.Parse(yaml, file, warnings));

    /// <summary>A minimal card: only what the filters look at.</summary>
    public static string Minimal(string id, string access, string commercial, decimal? input = null, string family = "fam") =>
        $$"""
        id: {{id}}
        display_name: {{id}}
        organisation: Org
        family: {{family}}
        access: {{access}}
        licence:
          id: Apache-2.0
          commercial_use: {{commercial}}
          source: { url: "https://example.com/licence", as_of: 2025-01-01 }
        """ + (input is { } price
            ? $$"""

              prices:
                input: {{price.ToString(System.Globalization.CultureInfo.InvariantCulture)}}
                source: { url: "https://example.com/pricing", as_of: 2025-01-01 }
              """
            : "");
}
