using Microsoft.Extensions.AI;

namespace ModelRace.Core.Endpoints;

/// <summary>How long a reply took: to its first token (streaming only) and in total.</summary>
public sealed record ResponseTiming(TimeSpan? TimeToFirstToken, TimeSpan Total);

/// <summary>
/// What a reply cost. Amount is null when it is unknown (no price for the model, or no usage reported), and then
/// UnknownReason says why; a cost is never silently reported as zero.
/// </summary>
public sealed record ResponseCost(decimal? Amount, string Currency, string? UnknownReason = null)
{
    public static ResponseCost Unknown(string reason) => new(null, "USD", reason);
    public bool IsKnown => Amount is not null;
}

/// <summary>Typed access to what ModelRace's middleware attaches to responses through AdditionalProperties.</summary>
public static class ResponseMetadata
{
    public const string TimingKey = "modelrace.timing";
    public const string CostKey = "modelrace.cost";
    public const string CachedKey = "modelrace.cached";
    public const string EndpointKey = "modelrace.endpoint";

    public static ResponseTiming? GetTiming(this ChatResponse response) => Get<ResponseTiming>(response.AdditionalProperties, TimingKey);
    public static ResponseCost? GetCost(this ChatResponse response) => Get<ResponseCost>(response.AdditionalProperties, CostKey);
    public static bool IsFromCache(this ChatResponse response) => Get<bool?>(response.AdditionalProperties, CachedKey) == true;

    public static ResponseTiming? GetTiming(this ChatResponseUpdate update) => Get<ResponseTiming>(update.AdditionalProperties, TimingKey);
    public static ResponseCost? GetCost(this ChatResponseUpdate update) => Get<ResponseCost>(update.AdditionalProperties, CostKey);
    public static bool IsFromCache(this ChatResponseUpdate update) => Get<bool?>(update.AdditionalProperties, CachedKey) == true;

    /// <summary>The last value any update of a stream carried, as a consumer of a stream needs it.</summary>
    public static ResponseTiming? GetTiming(this IEnumerable<ChatResponseUpdate> updates) => updates.Select(u => u.GetTiming()).LastOrDefault(t => t is not null);
    public static ResponseCost? GetCost(this IEnumerable<ChatResponseUpdate> updates) => updates.Select(u => u.GetCost()).LastOrDefault(c => c is not null);

    public static void Set(this ChatResponse response, string key, object value) =>
        (response.AdditionalProperties ??= [])[key] = value;

    public static void Set(this ChatResponseUpdate update, string key, object value) =>
        (update.AdditionalProperties ??= [])[key] = value;

    private static T? Get<T>(AdditionalPropertiesDictionary? properties, string key) =>
        properties is not null && properties.TryGetValue(key, out var value) && value is T typed ? typed : default;
}
