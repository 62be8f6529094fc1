using ModelRace.Core.Catalog;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace ModelRace.Catalog;

/// <summary>
/// Parses model-card YAML. A file holds one card, or several separated by `---`.
/// Field names are snake_case; docs/catalog.md describes each one.
/// </summary>
public static class CardParser
{
    private static readonly Dictionary<string, ModelAccess> AccessNames = new()
    {
        ["open-weights"] = ModelAccess.OpenWeights, ["api-only"] = ModelAccess.ApiOnly,
        ["both"] = ModelAccess.Both, ["unknown"] = ModelAccess.Unknown,
    };

    private static readonly Dictionary<string, Permission> PermissionNames = new()
    {
        ["allowed"] = Permission.Allowed, ["restricted"] = Permission.Restricted,
        ["prohibited"] = Permission.Prohibited, ["unknown"] = Permission.Unknown,
    };

    private static readonly Dictionary<string, OpennessGrade> GradeNames = new()
    {
        ["open"] = OpennessGrade.Open, ["partial"] = OpennessGrade.Partial,
        ["closed"] = OpennessGrade.Closed, ["unknown"] = OpennessGrade.Unknown,
    };

    /// <summary>snake_case YAML key for each openness dimension.</summary>
    public static readonly IReadOnlyDictionary<string, OpennessDimension> DimensionNames = new Dictionary<string, OpennessDimension>
    {
        ["training_code"] = OpennessDimension.TrainingCode,
        ["base_model_data"] = OpennessDimension.BaseModelData,
        ["end_model_data"] = OpennessDimension.EndModelData,
        ["base_weights"] = OpennessDimension.BaseWeights,
        ["end_weights"] = OpennessDimension.EndWeights,
        ["licence"] = OpennessDimension.Licence,
        ["code_documentation"] = OpennessDimension.CodeDocumentation,
        ["hardware_architecture"] = OpennessDimension.HardwareArchitecture,
        ["preprint"] = OpennessDimension.Preprint,
        ["paper"] = OpennessDimension.Paper,
        ["model_card"] = OpennessDimension.ModelCard,
        ["datasheet"] = OpennessDimension.Datasheet,
    };

    public static IReadOnlyList<ModelCard> Parse(string yaml, string file, List<string>? warnings = null)
    {
        var stream = new YamlStream();
        var parser = new PositionTrackingParser(new Parser(new StringReader(yaml)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            throw new CatalogException(file, null, $"is not valid YAML: {e.InnerException?.Message ?? e.Message}", (int)e.Start.Line);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this, not a YamlException, when the input ends inside an open flow collection.
            throw new CatalogException(file, null, "is not valid YAML: it ends inside a '[' or '{' that is never closed (the line is that of the last value read)", (int)parser.LastStart.Line);
        }

        var cards = new List<ModelCard>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" }) continue;
            if (document.RootNode is not YamlMappingNode map)
                throw new CatalogException(file, null, "each YAML document must be a mapping that describes one model card", (int)document.RootNode.Start.Line);
            cards.Add(ParseCard(new YamlNodeReader(file, "", map), file, warnings));
        }
        return cards;
    }

    private static ModelCard ParseCard(YamlNodeReader r, string file, List<string>? warnings)
    {
        var id = r.RequiredString("id");
        if (id.Any(char.IsWhiteSpace)) throw r.Error("id", $"must not contain spaces (got '{id}')");
        var parameters = r.Mapping("parameters");
        var card = new ModelCard
        {
            Id = id,
            DisplayName = r.RequiredString("display_name"),
            Organisation = r.RequiredString("organisation"),
            Family = r.RequiredString("family"),
            ReleaseDate = r.Date("release_date"),
            Parameters = new ParameterCount(parameters?.Number("total"), parameters?.Number("active")),
            ContextWindow = ParseContextWindow(r),
            Modalities = r.StringList("modalities"),
            Access = r.Enum("access", AccessNames, ModelAccess.Unknown),
            Jurisdiction = r.String("jurisdiction"),
            Source = ParseSource(r.Mapping("source")),
            Licence = ParseLicence(r.Mapping("licence")),
            Openness = ParseOpenness(r.Mapping("openness")),
            Prices = ParsePrices(r.Mapping("prices")),
            Deployments = ParseDeployments(r),
            Origin = file,
        };
        parameters?.RejectUnknownKeys();
        r.RejectUnknownKeys();
        CardRules.Check(card, r, warnings);
        return card;
    }

    private static int? ParseContextWindow(YamlNodeReader r)
    {
        var tokens = r.PositiveInteger("context_window");
        if (tokens > int.MaxValue) throw r.Error("context_window", $"is too large (got {tokens}); give the window in tokens");
        return (int?)tokens;
    }

    private static Source? ParseSource(YamlNodeReader? r)
    {
        if (r is null) return null;
        var url = r.RequiredString("url");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw r.Error("url", $"must be an http(s) URL (got '{url}')");
        var source = new Source(url, r.Date("as_of"), r.String("note"));
        r.RejectUnknownKeys();
        return source;
    }

    private static LicenceTerms? ParseLicence(YamlNodeReader? r)
    {
        if (r is null) return null;
        var licence = new LicenceTerms
        {
            Id = r.RequiredString("id"),
            Name = r.String("name"),
            Url = r.String("url"),
            CommercialUse = r.Enum("commercial_use", PermissionNames, Permission.Unknown),
            UserCapMonthlyActiveUsers = r.PositiveInteger("user_cap_mau"),
            NamingRule = r.String("naming_rule"),
            OutputsMayTrainOtherModels = r.Enum("outputs_may_train_other_models", PermissionNames, Permission.Unknown),
            AcceptableUsePolicyUrl = r.String("acceptable_use_policy"),
            Source = ParseSource(r.Mapping("source")),
        };
        r.RejectUnknownKeys();
        return licence;
    }

    private static Dictionary<OpennessDimension, OpennessEntry> ParseOpenness(YamlNodeReader? r)
    {
        var result = new Dictionary<OpennessDimension, OpennessEntry>();
        if (r is null) return result;
        foreach (var key in r.Keys.ToList())
        {
            if (!DimensionNames.TryGetValue(key, out var dimension))
                throw r.Error(key, $"is not an openness dimension; use one of: {string.Join(", ", DimensionNames.Keys)}");
            var entry = r.Mapping(key) ?? throw r.Error(key, "is required to be a mapping such as { grade: open, evidence: URL }; leave the dimension out when it is unknown");
            result[dimension] = new OpennessEntry(entry.Enum("grade", GradeNames, OpennessGrade.Unknown), entry.String("evidence"));
            entry.RejectUnknownKeys();
        }
        return result;
    }

    private static PriceSheet? ParsePrices(YamlNodeReader? r)
    {
        if (r is null) return null;
        var source = ParseSource(r.Mapping("source")) ?? throw r.Error("source", "is required: every price needs its source URL and as-of date");
        if (source.AsOf is null) throw r.Error("source.as_of", "is required: a price without a date cannot be trusted");
        var prices = new PriceSheet
        {
            Currency = r.String("currency") ?? "USD",
            InputPerMillion = r.NonNegativeDecimal("input"),
            OutputPerMillion = r.NonNegativeDecimal("output"),
            CachedInputPerMillion = r.NonNegativeDecimal("cached_input"),
            Source = source,
        };
        if (prices.Currency.Length != 3 || !prices.Currency.All(char.IsAsciiLetterUpper))
            throw r.Error("currency", $"must be a three-letter ISO 4217 code such as USD (got '{prices.Currency}')");
        r.RejectUnknownKeys();
        return prices;
    }

    private static List<Deployment> ParseDeployments(YamlNodeReader r)
    {
        var list = new List<Deployment>();
        var items = r.Sequence("deployments");
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not YamlMappingNode map)
                throw new CatalogException(r.File, $"deployments[{i}]", "must be a mapping with provider and model", (int)items[i].Start.Line);
            var d = new YamlNodeReader(r.File, $"deployments[{i}]", map);
            list.Add(new Deployment(d.RequiredString("provider"), d.RequiredString("model")));
            d.RejectUnknownKeys();
        }
        return list;
    }

    /// <summary>Remembers where the last parsed event began, to place errors the YAML library reports without a position.</summary>
    private sealed class PositionTrackingParser(IParser inner) : IParser
    {
        public Mark LastStart { get; private set; } = Mark.Empty;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            var moved = inner.MoveNext();
            if (inner.Current is { } current) LastStart = current.Start;
            return moved;
        }
    }
}
