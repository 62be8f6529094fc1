using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace ModelRace.Gateway.Wire;

/// <summary>Anthropic's Messages wire format (POST /v1/messages), in and out, so that Claude clients can use the gateway.</summary>
public sealed class AnthropicChatWire : IChatWire
{
    public static readonly AnthropicChatWire Instance = new();

    public ChatRequest Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw GatewayRequestException.Invalid("the request body must be a JSON object");
        var model = root.TryGetProperty("model", out var m) && m.GetString() is { Length: > 0 } name
            ? name : throw GatewayRequestException.Invalid("model: Field required", "model");
        if (!root.TryGetProperty("max_tokens", out var max) || max.ValueKind != JsonValueKind.Number || !max.TryGetInt32(out var maxTokens) || maxTokens < 1)
            throw GatewayRequestException.Invalid("max_tokens: Field required (a whole number of at least 1)", "max_tokens");
        if (!root.TryGetProperty("messages", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw GatewayRequestException.Invalid("messages: Field required (a non-empty array)", "messages");
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
            throw GatewayRequestException.Invalid("tools are not supported by the ModelRace gateway yet", "tools");

        var messages = new List<ChatMessage>();
        long characters = 0;
        if (root.TryGetProperty("system", out var system) && system.ValueKind != JsonValueKind.Null)
        {
            var text = Text(system, "system");
            characters += text.Length;
            messages.Add(new ChatMessage(ChatRole.System, text));
        }
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var where = $"messages.{index++}";
            var role = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("role", out var r) ? r.GetString() : null;
            var chatRole = role switch
            {
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                _ => throw GatewayRequestException.Invalid($"{where}.role: must be user or assistant", $"{where}.role"),
            };
            var text = item.TryGetProperty("content", out var content) ? Text(content, $"{where}.content") : "";
            characters += text.Length;
            messages.Add(new ChatMessage(chatRole, text));
        }

        var options = new ChatOptions { ModelId = model, MaxOutputTokens = maxTokens };
        if (root.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number) options.Temperature = t.GetSingle();
        if (root.TryGetProperty("top_p", out var p) && p.ValueKind == JsonValueKind.Number) options.TopP = p.GetSingle();
        if (root.TryGetProperty("top_k", out var k) && k.ValueKind == JsonValueKind.Number) options.TopK = k.GetInt32();
        if (root.TryGetProperty("stop_sequences", out var stop) && stop.ValueKind == JsonValueKind.Array)
            options.StopSequences = stop.EnumerateArray().Select(s => s.GetString() ?? "").ToList();
        var user = root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("user_id", out var uid)
            ? uid.GetString() : null;
        return new ChatRequest
        {
            Model = model, Messages = messages, Options = options, User = user, PromptCharacters = characters,
            Stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True,
        };
    }

    private static string Text(JsonElement content, string where) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString()!,
        JsonValueKind.Array => string.Concat(content.EnumerateArray().Select(block =>
            block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var type) && type.GetString() == "text" && block.TryGetProperty("text", out var text)
                ? text.GetString()
                : throw GatewayRequestException.Invalid($"{where}: only text blocks are supported by the gateway", where))),
        _ => throw GatewayRequestException.Invalid($"{where}: must be a string or an array of text blocks", where),
    };

    public ChatCall NewCall(ChatRequest request) => new("msg_" + OpenAIWire.RandomId(24), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), request.Model, includeUsage: true);

    public static string ErrorType(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        _ => "api_error",
    };

    public Task WriteErrorAsync(HttpResponse response, int status, string type, string code, string message, string? param = null)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        WriteErrorBody(response.BodyWriter, ErrorType(status), message);
        return response.BodyWriter.FlushAsync().AsTask();
    }

    private static void WriteErrorBody(IBufferWriter<byte> output, string type, string message)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("type", "error");
        json.WriteStartObject("error");
        json.WriteString("type", type);
        json.WriteString("message", message);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string StopReason(ChatFinishReason? finish) => finish == ChatFinishReason.Length ? "max_tokens" : "end_turn";

    public Task WriteResponseAsync(HttpResponse response, ChatCall call, string text, ChatFinishReason? finish, UsageDetails? usage)
    {
        response.StatusCode = 200;
        response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(response.BodyWriter))
        {
            WriteMessage(json, call, [text], StopReason(finish), usage);
        }
        return response.BodyWriter.FlushAsync().AsTask();
    }

    private static void WriteMessage(Utf8JsonWriter json, ChatCall call, string[] texts, string? stopReason, UsageDetails? usage)
    {
        json.WriteStartObject();
        json.WriteString("id", call.Id);
        json.WriteString("type", "message");
        json.WriteString("role", "assistant");
        json.WriteString("model", call.Model);
        json.WriteStartArray("content");
        foreach (var text in texts)
        {
            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", text);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (stopReason is null) json.WriteNull("stop_reason");
        else json.WriteString("stop_reason", stopReason);
        json.WriteNull("stop_sequence");
        json.WriteStartObject("usage");
        json.WriteNumber("input_tokens", usage?.InputTokenCount ?? 0);
        json.WriteNumber("output_tokens", usage?.OutputTokenCount ?? 0);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public Task BeginStreamAsync(HttpResponse response, ChatCall call)
    {
        OpenAIChatWire.StartSse(response);
        Event(response.BodyWriter, "message_start", json =>
        {
            json.WritePropertyName("message");
            WriteMessage(json, call, [], null, null);
        });
        Event(response.BodyWriter, "content_block_start", json =>
        {
            json.WriteNumber("index", 0);
            json.WriteStartObject("content_block");
            json.WriteString("type", "text");
            json.WriteString("text", "");
            json.WriteEndObject();
        });
        call.ChunksWritten++;
        return response.BodyWriter.FlushAsync().AsTask();
    }

    public async ValueTask WriteDeltaAsync(HttpResponse response, ChatCall call, string text)
    {
        Event(response.BodyWriter, "content_block_delta", json =>
        {
            json.WriteNumber("index", 0);
            json.WriteStartObject("delta");
            json.WriteString("type", "text_delta");
            json.WriteString("text", text);
            json.WriteEndObject();
        });
        call.ChunksWritten++;
        await response.BodyWriter.FlushAsync();
    }

    public Task EndStreamAsync(HttpResponse response, ChatCall call, ChatFinishReason? finish, UsageDetails? usage)
    {
        Event(response.BodyWriter, "content_block_stop", json => json.WriteNumber("index", 0));
        Event(response.BodyWriter, "message_delta", json =>
        {
            json.WriteStartObject("delta");
            json.WriteString("stop_reason", StopReason(finish));
            json.WriteNull("stop_sequence");
            json.WriteEndObject();
            json.WriteStartObject("usage");
            json.WriteNumber("input_tokens", usage?.InputTokenCount ?? 0);
            json.WriteNumber("output_tokens", usage?.OutputTokenCount ?? 0);
            json.WriteEndObject();
        });
        Event(response.BodyWriter, "message_stop", _ => { });
        return response.BodyWriter.FlushAsync().AsTask();
    }

    public Task WriteStreamErrorAsync(HttpResponse response, ChatCall call, string message)
    {
        response.BodyWriter.Write("event: error\ndata: "u8);
        WriteErrorBody(response.BodyWriter, "api_error", message);
        response.BodyWriter.Write("\n\n"u8);
        return response.BodyWriter.FlushAsync().AsTask();
    }

    /// <summary>`event: TYPE\ndata: {"type":"TYPE", …}\n\n`.</summary>
    private static void Event(IBufferWriter<byte> output, string type, Action<Utf8JsonWriter> body)
    {
        output.Write("event: "u8);
        output.Write(System.Text.Encoding.UTF8.GetBytes(type));
        output.Write("\ndata: "u8);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            body(json);
            json.WriteEndObject();
        }
        output.Write("\n\n"u8);
    }
}
