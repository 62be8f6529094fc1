using ModelRace.Core.Catalog;

namespace ModelRace.Catalog;

/// <summary>Rules every card must satisfy beyond its syntax: facts need sources, grades need evidence.</summary>
internal static class CardRules
{
    public static void Check(ModelCard card, YamlNodeReader r, List<string>? warnings)
    {
        var hasGeneralFacts = card.ReleaseDate is not null || card.Parameters.Total is not null
            || card.ContextWindow is not null || card.Jurisdiction is not null;
        if (hasGeneralFacts && card.Source is null)
            throw r.Error("source", "is required: release date, parameters, context window and jurisdiction need a source URL");

        if (card.Licence is { } licence)
        {
            var hasTerms = licence.CommercialUse != Permission.Unknown || licence.UserCapMonthlyActiveUsers is not null
                || licence.NamingRule is not null || licence.OutputsMayTrainOtherModels != Permission.Unknown;
            if (hasTerms && licence.Source is null)
                throw r.Error("licence.source", "is required: licence terms need the licence text's URL");
            if (!LicenceIds.IsKnown(licence.Id))
                warnings?.Add($"{r.File}: card '{card.Id}': licence id '{licence.Id}' is neither an SPDX id nor a known named licence");
        }

        foreach (var (dimension, entry) in card.Openness)
        {
            if (entry.Grade != OpennessGrade.Unknown && string.IsNullOrWhiteSpace(entry.EvidenceUrl))
            {
                var key = CardParser.DimensionNames.First(kv => kv.Value == dimension).Key;
                throw r.Error($"openness.{key}.evidence", $"is required: a '{entry.Grade.ToString().ToLowerInvariant()}' grade needs an evidence URL");
            }
        }

        if (card.Parameters is { Total: { } total, Active: { } active } && active > total)
            throw r.Error("parameters.active", $"cannot exceed parameters.total ({active:g4} > {total:g4})");
    }
}
