using Microsoft.Extensions.AI;
using ModelRace.Core.Catalog;
using ModelRace.Core.Endpoints;

namespace ModelRace.Providers.Middleware;

/// <summary>Prices per 1M tokens for one endpoint+model, or the reason there is none.</summary>
public sealed record ModelPrice(decimal? Input, decimal? Output, decimal? CachedInput, string Currency, string? UnknownReason)
{
    public static ModelPrice Unknown(string reason) => new(null, null, null, "USD", reason);

    /// <summary>The config's explicit price wins; then the model's catalog card; otherwise unknown, never zero.</summary>
    public static ModelPrice Resolve(EndpointConfig endpoint, EndpointModel model, ModelCard? card)
    {
        if (endpoint.Price is { } price) return new ModelPrice(price.Input, price.Output, price.CachedInput, price.Currency, null);
        if (card is null)
        {
            return Unknown(model.Card is null
                ? $"model '{model.Name}' of endpoint '{endpoint.Name}' has no catalog card (add card: to it, or price: to the endpoint)"
                : $"the catalog has no card '{model.Card}' (see `modelrace models`) and endpoint '{endpoint.Name}' sets no price:");
        }
        if (card.Prices is not { InputPerMillion: not null, OutputPerMillion: not null } sheet)
            return Unknown($"card '{card.Id}' lists no API price; give endpoint '{endpoint.Name}' a price: (0 for a free self-hosted server)");
        return new ModelPrice(sheet.InputPerMillion, sheet.OutputPerMillion, sheet.CachedInputPerMillion, sheet.Currency, null);
    }

    /// <summary>
    /// cost = uncached input × input + cached input × cached_input + output × output, per 1M tokens.
    /// InputTokenCount includes cached tokens (the OpenAI convention M.E.AI follows), so the cached part is taken out
    /// of it first; with no cached price, cached tokens are charged at the input price.
    /// </summary>
    public ResponseCost CostOf(UsageDetails? usage)
    {
        if (UnknownReason is { } reason) return ResponseCost.Unknown(reason);
        if (usage?.InputTokenCount is not { } input || usage.OutputTokenCount is not { } output)
            return ResponseCost.Unknown("the endpoint did not report token usage");
        var cached = Math.Clamp(usage.CachedInputTokenCount ?? 0, 0, input);
        var amount = ((input - cached) * Input!.Value + cached * (CachedInput ?? Input.Value) + output * Output!.Value) / 1_000_000m;
        return new ResponseCost(amount, Currency);
    }
}

/// <summary>Attaches the cost of each reply (ResponseCost) from its token usage; replies served from the cache cost 0.</summary>
public sealed class CostChatClient(IChatClient inner, ModelPrice price) : DelegatingChatClient(inner), IChatLayer
{
    IChatClient IChatLayer.Inner => InnerClient;

    public ModelPrice Price { get; } = price;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken);
        response.Set(ResponseMetadata.CostKey, response.IsFromCache() ? new ResponseCost(0m, Price.Currency) : Price.CostOf(response.Usage));
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        UsageDetails? usage = null;
        var cached = false;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            foreach (var content in update.Contents.OfType<UsageContent>())
            {
                usage ??= new UsageDetails();
                usage.Add(content.Details);
            }
            cached |= update.IsFromCache();
            yield return update;
        }
        var final = new ChatResponseUpdate(ChatRole.Assistant, (string?)null);
        final.Set(ResponseMetadata.CostKey, cached ? new ResponseCost(0m, Price.Currency) : Price.CostOf(usage));
        yield return final;
    }
}
