using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace ModelRace.Providers.Connectors;

/// <summary>
/// Google's Gemini API over plain REST: models/{model}:generateContent and :streamGenerateContent?alt=sse,
/// key in the x-goog-api-key header.
/// </summary>
public sealed class GeminiConnector(EndpointContext context, string? apiKey, HttpClient http) : IChatClient
{
    private readonly string _model = context.Model.StartsWith("models/", StringComparison.Ordinal) ? context.Model["models/".Length..] : context.Model;

    public static IChatClient Create(EndpointContext context, string? apiKey, HttpClient http) => new GeminiConnector(context, apiKey, http);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var request = BuildRequest("generateContent", messages, options);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var doc = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        var chunk = GeminiChunk.Read(doc.RootElement);
        var message = new ChatMessage(ChatRole.Assistant, chunk.Contents);
        return new ChatResponse(message)
        {
            FinishReason = chunk.FinishReason,
            Usage = chunk.Usage,
            ModelId = chunk.ModelVersion ?? _model,
            ResponseId = chunk.ResponseId,
            RawRepresentation = doc.RootElement.Clone(),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var request = BuildRequest("streamGenerateContent", messages, options);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(body, Encoding.UTF8);
        UsageDetails? usage = null;
        string? modelVersion = null, responseId = null;
        await foreach (var data in ReadServerSentEvents(reader, cancellationToken))
        {
            using var doc = JsonDocument.Parse(data);
            var chunk = GeminiChunk.Read(doc.RootElement);
            usage = chunk.Usage ?? usage; // Gemini repeats running totals in every chunk; the last one counts.
            modelVersion = chunk.ModelVersion ?? modelVersion;
            responseId = chunk.ResponseId ?? responseId;
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk.Contents)
            {
                FinishReason = chunk.FinishReason,
                ModelId = modelVersion ?? _model,
                ResponseId = responseId,
            };
        }
        if (usage is not null)
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)]) { ModelId = modelVersion ?? _model, ResponseId = responseId };
    }

    /// <summary>The data: payloads of an SSE stream, one per event.</summary>
    private static async IAsyncEnumerable<string> ReadServerSentEvents(StreamReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0) yield return data.ToString();
                data.Clear();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                if (data.Length > 0) data.Append('\n');
                data.Append(line.AsSpan(line.StartsWith("data: ", StringComparison.Ordinal) ? 6 : 5));
            }
        }
        if (data.Length > 0) yield return data.ToString();
    }

    private HttpRequestMessage BuildRequest(string method, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var baseUrl = context.Endpoint.BaseUrl!.ToString().TrimEnd('/');
        var url = $"{baseUrl}/models/{Uri.EscapeDataString(_model)}:{method}{(method == "streamGenerateContent" ? "?alt=sse" : "")}";
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(BuildBody(messages, options).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (apiKey is { Length: > 0 }) request.Headers.Add("x-goog-api-key", apiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(method == "streamGenerateContent" ? "text/event-stream" : "application/json"));
        return request;
    }

    /// <summary>The GenerateContentRequest: contents with user/model roles, systemInstruction, generationConfig.</summary>
    public static JsonObject BuildBody(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var contents = new JsonArray();
        var system = new List<string>();
        if (options?.Instructions is { Length: > 0 } instructions) system.Add(instructions);
        foreach (var message in messages)
        {
            if (message.Role == ChatRole.System) { system.Add(message.Text); continue; }
            var role = message.Role == ChatRole.Assistant ? "model" : "user";
            contents.Add(new JsonObject { ["role"] = role, ["parts"] = new JsonArray(new JsonObject { ["text"] = message.Text }) });
        }
        var body = new JsonObject { ["contents"] = contents };
        if (system.Count > 0)
            body["systemInstruction"] = new JsonObject { ["parts"] = new JsonArray(system.Select(s => (JsonNode)new JsonObject { ["text"] = s }).ToArray()) };

        var config = new JsonObject();
        if (options?.Temperature is { } temperature) config["temperature"] = temperature;
        if (options?.TopP is { } topP) config["topP"] = topP;
        if (options?.TopK is { } topK) config["topK"] = topK;
        if (options?.MaxOutputTokens is { } max) config["maxOutputTokens"] = max;
        if (options?.StopSequences is { Count: > 0 } stops) config["stopSequences"] = new JsonArray(stops.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray());
        if (options?.Seed is { } seed) config["seed"] = seed;
        if (options?.PresencePenalty is { } presence) config["presencePenalty"] = presence;
        if (options?.FrequencyPenalty is { } frequency) config["frequencyPenalty"] = frequency;
        if (options?.ResponseFormat is ChatResponseFormatJson json)
        {
            config["responseMimeType"] = "application/json";
            if (json.Schema is { } schema) config["responseJsonSchema"] = JsonNode.Parse(schema.GetRawText());
        }
        if (config.Count > 0) body["generationConfig"] = config;
        return body;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() { }

    /// <summary>One GenerateContentResponse: the first candidate's parts, its finish reason, and usageMetadata.</summary>
    private sealed record GeminiChunk(List<AIContent> Contents, ChatFinishReason? FinishReason, UsageDetails? Usage, string? ModelVersion, string? ResponseId)
    {
        public static GeminiChunk Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object) throw new JsonException($"expected a JSON object, got {root.ValueKind}");
            var contents = new List<AIContent>();
            ChatFinishReason? finish = null;
            if (root.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0)
            {
                var candidate = candidates[0];
                if (candidate.TryGetProperty("content", out var content) && content.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
                {
                    foreach (var part in parts.EnumerateArray())
                    {
                        if (!part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String) continue;
                        var isThought = part.TryGetProperty("thought", out var thought) && thought.ValueKind == JsonValueKind.True;
                        contents.Add(isThought ? new TextReasoningContent(text.GetString()) : new TextContent(text.GetString()));
                    }
                }
                if (candidate.TryGetProperty("finishReason", out var reason) && reason.ValueKind == JsonValueKind.String)
                    finish = MapFinishReason(reason.GetString()!);
            }
            else if (root.TryGetProperty("promptFeedback", out var feedback) && feedback.TryGetProperty("blockReason", out _))
            {
                finish = ChatFinishReason.ContentFilter;
            }
            return new GeminiChunk(contents, finish, ReadUsage(root),
                root.TryGetProperty("modelVersion", out var mv) && mv.ValueKind == JsonValueKind.String ? mv.GetString() : null,
                root.TryGetProperty("responseId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null);
        }

        private static UsageDetails? ReadUsage(JsonElement root)
        {
            if (!root.TryGetProperty("usageMetadata", out var usage) || usage.ValueKind != JsonValueKind.Object) return null;
            long? Count(string name) => usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
            var thoughts = Count("thoughtsTokenCount");
            var candidates = Count("candidatesTokenCount");
            return new UsageDetails
            {
                InputTokenCount = Count("promptTokenCount"),
                // Gemini bills thinking tokens as output but reports them apart from the candidates' tokens.
                OutputTokenCount = candidates is null && thoughts is null ? null : (candidates ?? 0) + (thoughts ?? 0),
                ReasoningTokenCount = thoughts,
                CachedInputTokenCount = Count("cachedContentTokenCount"),
                TotalTokenCount = Count("totalTokenCount"),
            };
        }

        public static ChatFinishReason MapFinishReason(string reason) => reason switch
        {
            "STOP" => ChatFinishReason.Stop,
            "MAX_TOKENS" => ChatFinishReason.Length,
            "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" => ChatFinishReason.ContentFilter,
            _ => new ChatFinishReason(reason.ToLowerInvariant()),
        };
    }
}
