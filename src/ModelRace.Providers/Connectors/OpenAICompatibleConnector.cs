using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace ModelRace.Providers.Connectors;

/// <summary>Any OpenAI-compatible server (OpenAI, DeepSeek, Groq, vLLM, Ollama…) through the official OpenAI SDK.</summary>
public static class OpenAICompatibleConnector
{
    /// <summary>Local servers accept any bearer token, but the SDK insists on one.</summary>
    private const string NoKeyPlaceholder = "no-key-configured";

    public static IChatClient Create(EndpointContext context, string? apiKey, HttpClient http)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = context.Endpoint.BaseUrl,
            Transport = new HttpClientPipelineTransport(http),
            // Retries and timeouts are ModelRace's own layers, so the SDK must not add its own on top.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = context.Timeout + TimeSpan.FromMinutes(10),
        };
        var client = new OpenAIClient(new ApiKeyCredential(apiKey is { Length: > 0 } ? apiKey : NoKeyPlaceholder), options);
        return client.GetChatClient(context.Model).AsIChatClient();
    }
}
