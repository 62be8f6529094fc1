using ModelRace.Core.Catalog;

namespace ModelRace.Race.Running;

/// <summary>Prices usage with a catalog price sheet; cached input tokens use the cached price when the sheet has one.</summary>
public static class CostCalculator
{
    public static decimal? Compute(PriceSheet? prices, long? inputTokens, long? outputTokens, long? cachedInputTokens = null)
    {
        if (prices is null || inputTokens is null && outputTokens is null) return null;
        if (inputTokens is > 0 && prices.InputPerMillion is null || outputTokens is > 0 && prices.OutputPerMillion is null) return null;
        var cached = Math.Min(cachedInputTokens ?? 0, inputTokens ?? 0);
        var cachedPrice = prices.CachedInputPerMillion ?? prices.InputPerMillion ?? 0;
        var uncached = (inputTokens ?? 0) - cached;
        return (uncached * (prices.InputPerMillion ?? 0) + cached * cachedPrice + (outputTokens ?? 0) * (prices.OutputPerMillion ?? 0)) / 1_000_000m;
    }
}
