using Anthropic;
using Anthropic.Core;
using Microsoft.Extensions.AI;

namespace ModelRace.Providers.Connectors;

/// <summary>Anthropic's Messages API through the official Anthropic SDK and its own IChatClient adapter.</summary>
public static class AnthropicConnector
{
    /// <summary>Anthropic requires max_tokens on every request; this applies when the caller sets none.</summary>
    public const int DefaultMaxOutputTokens = 4096;

    public static IChatClient Create(EndpointContext context, string? apiKey, HttpClient http)
    {
        var client = new AnthropicClient(new ClientOptions
        {
            ApiKey = apiKey,
            BaseUrl = context.Endpoint.BaseUrl!.ToString().TrimEnd('/'),
            HttpClient = http,
            MaxRetries = 0,
            Timeout = context.Timeout + TimeSpan.FromMinutes(10),
        });
        return client.AsIChatClient(context.Model, DefaultMaxOutputTokens);
    }
}
