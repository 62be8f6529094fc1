namespace ModelRace.Core.Catalog;

/// <summary>How a model can be obtained.</summary>
public enum ModelAccess { Unknown, OpenWeights, ApiOnly, Both }

/// <summary>A licence term where "we do not know" must stay distinguishable from "no".</summary>
/// <remarks>
/// Allowed: permitted without asking anyone (conditions such as a user cap or an acceptable-use policy are recorded separately).
/// Restricted: needs a separate grant, registration or application first, or is limited to narrow cases.
/// Prohibited: not permitted.
/// </remarks>
public enum Permission { Unknown, Allowed, Restricted, Prohibited }

/// <summary>Grades of the European Open Source AI Index.</summary>
public enum OpennessGrade { Unknown, Open, Partial, Closed }

/// <summary>A cited source: every fact on a card points at one.</summary>
public sealed record Source(string Url, DateOnly? AsOf, string? Note = null);

public sealed record ParameterCount(double? Total, double? Active);

public sealed record LicenceTerms
{
    /// <summary>SPDX identifier (e.g. "Apache-2.0") or a named licence id (e.g. "llama3.1").</summary>
    public required string Id { get; init; }
    public string? Name { get; init; }
    public string? Url { get; init; }
    public Permission CommercialUse { get; init; }
    /// <summary>Monthly-active-user cap above which a separate licence is needed; null when none or unknown.</summary>
    public long? UserCapMonthlyActiveUsers { get; init; }
    public string? NamingRule { get; init; }
    public Permission OutputsMayTrainOtherModels { get; init; }
    public string? AcceptableUsePolicyUrl { get; init; }
    public Source? Source { get; init; }
}

public sealed record OpennessEntry(OpennessGrade Grade, string? EvidenceUrl);

public sealed record PriceSheet
{
    public required string Currency { get; init; }
    public decimal? InputPerMillion { get; init; }
    public decimal? OutputPerMillion { get; init; }
    public decimal? CachedInputPerMillion { get; init; }
    public required Source Source { get; init; }
}

public sealed record Deployment(string Provider, string ModelName);

public sealed record ModelCard
{
    public required string Id { get; init; }
    public required string DisplayName { get; init; }
    public required string Organisation { get; init; }
    public required string Family { get; init; }
    public DateOnly? ReleaseDate { get; init; }
    public ParameterCount Parameters { get; init; } = new(null, null);
    public int? ContextWindow { get; init; }
    public IReadOnlyList<string> Modalities { get; init; } = [];
    public ModelAccess Access { get; init; }
    public LicenceTerms? Licence { get; init; }
    public IReadOnlyDictionary<OpennessDimension, OpennessEntry> Openness { get; init; } =
        new Dictionary<OpennessDimension, OpennessEntry>();
    public PriceSheet? Prices { get; init; }
    public IReadOnlyList<Deployment> Deployments { get; init; } = [];
    /// <summary>ISO 3166 country code of the vendor's jurisdiction.</summary>
    public string? Jurisdiction { get; init; }
    /// <summary>Source for the card's general facts (release date, size, context, jurisdiction).</summary>
    public Source? Source { get; init; }
    /// <summary>Where the card came from: "built-in" or a file path.</summary>
    public string Origin { get; init; } = "built-in";

    public bool IsOpenWeights => Access is ModelAccess.OpenWeights or ModelAccess.Both;

    /// <summary>open=1, partial=0.5, closed=0, as a fraction of the graded dimensions; null when none is graded.</summary>
    public double? OpennessScore => OpennessScoring.Score(Openness.Values.Select(e => e.Grade));
}
