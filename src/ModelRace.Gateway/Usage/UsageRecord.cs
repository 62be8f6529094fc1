namespace ModelRace.Gateway.Usage;

/// <summary>One gateway request, as gateway_usage stores it.</summary>
public sealed record UsageRecord
{
    public required DateTimeOffset At { get; init; }
    public required string RequestId { get; init; }
    public string? KeyId { get; init; }
    public string? Route { get; init; }
    public string? Endpoint { get; init; }
    public string? Model { get; init; }
    public int FallbackAttempts { get; init; }
    public long? InputTokens { get; init; }
    public long? OutputTokens { get; init; }
    public long? CachedTokens { get; init; }
    public decimal? Cost { get; init; }
    public string? Currency { get; init; }
    public double LatencyMs { get; init; }
    public required int StatusCode { get; init; }
    public required string DataClass { get; init; }
    public string? Error { get; init; }
}
