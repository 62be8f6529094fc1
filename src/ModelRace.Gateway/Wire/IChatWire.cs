using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace ModelRace.Gateway.Wire;

/// <summary>One call as the client sees it: the id and model name its replies carry.</summary>
public sealed class ChatCall(string id, long created, string model, bool includeUsage)
{
    public string Id { get; } = id;
    public long Created { get; } = created;
    public string Model { get; } = model;
    public bool IncludeUsage { get; } = includeUsage;
    public int ChunksWritten { get; set; }
}

/// <summary>How replies are written in one client-facing wire format (OpenAI chat completions or Anthropic messages).</summary>
public interface IChatWire
{
    ChatRequest Parse(System.Text.Json.JsonElement root);
    ChatCall NewCall(ChatRequest request);
    Task WriteErrorAsync(HttpResponse response, int status, string type, string code, string message, string? param = null);
    Task WriteResponseAsync(HttpResponse response, ChatCall call, string text, ChatFinishReason? finish, UsageDetails? usage);
    Task BeginStreamAsync(HttpResponse response, ChatCall call);
    ValueTask WriteDeltaAsync(HttpResponse response, ChatCall call, string text);
    Task EndStreamAsync(HttpResponse response, ChatCall call, ChatFinishReason? finish, UsageDetails? usage);
    /// <summary>The stream broke after output began: say so in-band rather than stitch another answer on.</summary>
    Task WriteStreamErrorAsync(HttpResponse response, ChatCall call, string message);
}

public sealed class OpenAIChatWire : IChatWire
{
    public static readonly OpenAIChatWire Instance = new();

    public ChatRequest Parse(System.Text.Json.JsonElement root) => OpenAIWire.ParseRequest(root);

    public ChatCall NewCall(ChatRequest request) =>
        new(OpenAIWire.NewCompletionId(), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), request.Model, request.IncludeUsageInStream);

    public Task WriteErrorAsync(HttpResponse response, int status, string type, string code, string message, string? param = null)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        OpenAIWire.WriteError(response.BodyWriter, type, code, message, param);
        return response.BodyWriter.FlushAsync().AsTask();
    }

    public Task WriteResponseAsync(HttpResponse response, ChatCall call, string text, ChatFinishReason? finish, UsageDetails? usage)
    {
        response.StatusCode = 200;
        response.ContentType = "application/json";
        OpenAIWire.WriteCompletion(response.BodyWriter, call.Id, call.Created, call.Model, text, finish, usage);
        return response.BodyWriter.FlushAsync().AsTask();
    }

    public Task BeginStreamAsync(HttpResponse response, ChatCall call)
    {
        StartSse(response);
        OpenAIWire.WriteChunk(response.BodyWriter, call.Id, call.Created, call.Model, withRole: true, "", null);
        call.ChunksWritten++;
        return response.BodyWriter.FlushAsync().AsTask();
    }

    public async ValueTask WriteDeltaAsync(HttpResponse response, ChatCall call, string text)
    {
        OpenAIWire.WriteChunk(response.BodyWriter, call.Id, call.Created, call.Model, withRole: false, text, null);
        call.ChunksWritten++;
        await response.BodyWriter.FlushAsync();
    }

    public Task EndStreamAsync(HttpResponse response, ChatCall call, ChatFinishReason? finish, UsageDetails? usage)
    {
        OpenAIWire.WriteChunk(response.BodyWriter, call.Id, call.Created, call.Model, withRole: false, null, finish ?? ChatFinishReason.Stop);
        if (call.IncludeUsage) OpenAIWire.WriteUsageChunk(response.BodyWriter, call.Id, call.Created, call.Model, usage);
        OpenAIWire.WriteDone(response.BodyWriter);
        return response.BodyWriter.FlushAsync().AsTask();
    }

    public Task WriteStreamErrorAsync(HttpResponse response, ChatCall call, string message)
    {
        OpenAIWire.WriteStreamError(response.BodyWriter, "server_error", "upstream_stream_failed", message);
        return response.BodyWriter.FlushAsync().AsTask();
    }

    internal static void StartSse(HttpResponse response)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }
}
