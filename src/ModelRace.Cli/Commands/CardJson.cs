using ModelRace.Catalog;
using ModelRace.Core.Catalog;

namespace ModelRace.Cli.Commands;

/// <summary>The JSON shapes of `models --json` and `models show --json`.</summary>
internal static class CardJson
{
    public static object Summary(ModelCard c) => new
    {
        c.Id, c.DisplayName, c.Organisation, c.Family, c.Access,
        Licence = c.Licence?.Id, CommercialUse = c.Licence?.CommercialUse ?? Permission.Unknown,
        c.OpennessScore, InputPerMillion = c.Prices?.InputPerMillion, OutputPerMillion = c.Prices?.OutputPerMillion,
        Currency = c.Prices?.Currency, c.ContextWindow,
    };

    public static object Full(ModelCard c) => new
    {
        c.Id, c.DisplayName, c.Organisation, c.Family, c.ReleaseDate, c.Parameters, c.ContextWindow, c.Modalities, c.Access,
        c.Jurisdiction, c.Source, c.Licence,
        Openness = CardParser.DimensionNames.ToDictionary(kv => kv.Key, kv => c.Openness.GetValueOrDefault(kv.Value, new OpennessEntry(OpennessGrade.Unknown, null))),
        c.OpennessScore, c.Prices, c.Deployments, c.Origin,
    };
}
