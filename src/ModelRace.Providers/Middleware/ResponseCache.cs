using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using ModelRace.Core.Endpoints;

namespace ModelRace.Providers.Middleware;

/// <summary>A stored reply: its text, finish reason, usage and original timing.</summary>
public sealed record CachedReply(
    string Text, string? Reasoning, string? FinishReason, string? ModelId,
    long? InputTokens, long? OutputTokens, long? CachedInputTokens, long? ReasoningTokens,
    double? TimeToFirstTokenMs, double TotalMs, DateTimeOffset StoredAt);

/// <summary>
/// Replies on disk, one JSON file per request under DIR/ab/abcdef….json, keyed by a SHA-256 of the endpoint, model,
/// messages and every option that changes the reply. Writes go through a temporary file so a crash never leaves half an entry.
/// </summary>
public sealed class ResponseCache(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string Directory { get; } = directory;

    public static string Key(string endpoint, string model, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var canonical = new
        {
            v = 1, endpoint, model,
            messages = messages.Select(m => new { role = m.Role.Value, text = m.Text }).ToArray(),
            instructions = options?.Instructions,
            temperature = options?.Temperature, top_p = options?.TopP, top_k = options?.TopK, max_tokens = options?.MaxOutputTokens,
            stop = options?.StopSequences?.ToArray(), seed = options?.Seed,
            presence = options?.PresencePenalty, frequency = options?.FrequencyPenalty,
            format = options?.ResponseFormat switch
            {
                ChatResponseFormatJson { Schema: { } schema } => "json:" + schema.GetRawText(),
                ChatResponseFormatJson => "json",
                _ => "text",
            },
        };
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(canonical)));
        return Convert.ToHexStringLower(hash);
    }

    private string PathFor(string key) => Path.Combine(Directory, key[..2], key + ".json");

    public CachedReply? TryGet(string key)
    {
        var path = PathFor(key);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<CachedReply>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null; // an unreadable entry is a miss; the fresh reply will overwrite it
        }
    }

    public void Put(string key, CachedReply reply)
    {
        var path = PathFor(key);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(reply, Json));
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>Serves repeated requests from the ResponseCache, marked as cached; only complete replies are stored.</summary>
public sealed class CacheChatClient(IChatClient inner, ResponseCache cache, string endpoint, string model) : DelegatingChatClient(inner), IChatLayer
{
    IChatClient IChatLayer.Inner => InnerClient;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var key = ResponseCache.Key(endpoint, model, list, options);
        if (cache.TryGet(key) is { } hit) return ToResponse(hit);
        var response = await base.GetResponseAsync(list, options, cancellationToken);
        if (response.FinishReason is not null) cache.Put(key, ToEntry(response, response.GetTiming()));
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var key = ResponseCache.Key(endpoint, model, list, options);
        if (cache.TryGet(key) is { } hit)
        {
            foreach (var update in ToResponse(hit).ToChatResponseUpdates()) yield return update;
            var marker = new ChatResponseUpdate(ChatRole.Assistant, (string?)null);
            marker.Set(ResponseMetadata.CachedKey, true);
            marker.Set(ResponseMetadata.TimingKey, Timing(hit));
            yield return marker;
            yield break;
        }
        var seen = new List<ChatResponseUpdate>();
        await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken))
        {
            seen.Add(update);
            yield return update;
        }
        var response = seen.ToChatResponse();
        if (response.FinishReason is not null) cache.Put(key, ToEntry(response, seen.GetTiming()));
    }

    private static ResponseTiming Timing(CachedReply hit) => new(
        hit.TimeToFirstTokenMs is { } ttft ? TimeSpan.FromMilliseconds(ttft) : null, TimeSpan.FromMilliseconds(hit.TotalMs));

    private static CachedReply ToEntry(ChatResponse response, ResponseTiming? timing)
    {
        var reasoning = string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text));
        return new CachedReply(response.Text, reasoning.Length == 0 ? null : reasoning, response.FinishReason?.Value, response.ModelId,
            response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, response.Usage?.CachedInputTokenCount, response.Usage?.ReasoningTokenCount,
            timing?.TimeToFirstToken?.TotalMilliseconds, timing?.Total.TotalMilliseconds ?? 0, DateTimeOffset.UtcNow);
    }

    private static ChatResponse ToResponse(CachedReply hit)
    {
        var contents = new List<AIContent>();
        if (hit.Reasoning is { } reasoning) contents.Add(new TextReasoningContent(reasoning));
        contents.Add(new TextContent(hit.Text));
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, contents))
        {
            FinishReason = hit.FinishReason is { } f ? new ChatFinishReason(f) : null,
            ModelId = hit.ModelId,
            Usage = new UsageDetails
            {
                InputTokenCount = hit.InputTokens, OutputTokenCount = hit.OutputTokens,
                CachedInputTokenCount = hit.CachedInputTokens, ReasoningTokenCount = hit.ReasoningTokens,
                TotalTokenCount = hit.InputTokens + hit.OutputTokens,
            },
        };
        response.Set(ResponseMetadata.CachedKey, true);
        response.Set(ResponseMetadata.TimingKey, Timing(hit));
        return response;
    }
}
