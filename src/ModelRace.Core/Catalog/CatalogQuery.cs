namespace ModelRace.Core.Catalog;

/// <summary>The filters of `modelrace models`; every set filter must hold.</summary>
public sealed record CatalogQuery
{
    public bool OpenOnly { get; init; }
    public bool ClosedOnly { get; init; }
    public bool CommercialOnly { get; init; }
    public decimal? MaxInputPricePerMillion { get; init; }
    public string? Family { get; init; }

    public bool Matches(ModelCard card)
    {
        if (OpenOnly && !card.IsOpenWeights) return false;
        if (ClosedOnly && card.IsOpenWeights) return false;
        if (CommercialOnly && card.Licence?.CommercialUse is not Permission.Allowed) return false;
        if (MaxInputPricePerMillion is { } max && (card.Prices?.InputPerMillion is not { } price || price > max)) return false;
        if (Family is { } family && !card.Family.StartsWith(family, StringComparison.OrdinalIgnoreCase)) return false;
        return true;
    }

    public IEnumerable<ModelCard> Apply(IEnumerable<ModelCard> cards) => cards.Where(Matches);
}
