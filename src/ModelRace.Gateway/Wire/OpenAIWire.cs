using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ModelRace.Gateway.Wire;

/// <summary>OpenAI's chat-completions wire format: request parsing, responses, stream chunks and error bodies.</summary>
public static class OpenAIWire
{
    public static ChatRequest ParseRequest(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw GatewayRequestException.Invalid("the request body must be a JSON object");
        var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } name
            ? name : throw GatewayRequestException.Invalid("'model' is required: a route name or endpoint/model", "model");
        if (!root.TryGetProperty("messages", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw GatewayRequestException.Invalid("'messages' is required: a non-empty array of {role, content}", "messages");
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
            throw GatewayRequestException.Invalid("'tools' is not supported by the ModelRace gateway yet", "tools");
        if (root.TryGetProperty("n", out var n) && n.ValueKind == JsonValueKind.Number && n.GetInt32() != 1)
            throw GatewayRequestException.Invalid("only n=1 is supported", "n");

        var messages = new List<ChatMessage>();
        long characters = 0;
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var where = $"messages[{index++}]";
            if (item.ValueKind != JsonValueKind.Object) throw GatewayRequestException.Invalid($"{where} must be an object", where);
            var roleText = item.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            var role = roleText switch
            {
                "system" or "developer" => ChatRole.System,
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                "tool" => ChatRole.Tool,
                _ => throw GatewayRequestException.Invalid($"{where}.role must be system, developer, user, assistant or tool", $"{where}.role"),
            };
            var text = item.TryGetProperty("content", out var content) ? ContentText(content, where) : "";
            characters += text.Length;
            messages.Add(new ChatMessage(role, text));
        }

        var options = new ChatOptions { ModelId = model };
        if (Number(root, "temperature") is { } temperature) options.Temperature = (float)temperature;
        if (Number(root, "top_p") is { } topP) options.TopP = (float)topP;
        if (Number(root, "presence_penalty") is { } presence) options.PresencePenalty = (float)presence;
        if (Number(root, "frequency_penalty") is { } frequency) options.FrequencyPenalty = (float)frequency;
        if ((Number(root, "max_completion_tokens") ?? Number(root, "max_tokens")) is { } max)
            options.MaxOutputTokens = max >= 1 && max == Math.Floor(max) ? (int)max : throw GatewayRequestException.Invalid("max_tokens must be a whole number of at least 1", "max_tokens");
        if (Number(root, "seed") is { } seed) options.Seed = (long)seed;
        if (root.TryGetProperty("stop", out var stop))
        {
            options.StopSequences = stop.ValueKind switch
            {
                JsonValueKind.String => [stop.GetString()!],
                JsonValueKind.Array => stop.EnumerateArray().Select(s => s.GetString() ?? "").ToList(),
                JsonValueKind.Null => null,
                _ => throw GatewayRequestException.Invalid("stop must be a string or an array of strings", "stop"),
            };
        }
        if (root.TryGetProperty("response_format", out var format) && format.ValueKind == JsonValueKind.Object
            && format.TryGetProperty("type", out var formatType) && formatType.GetString() is "json_object" or "json_schema")
            options.ResponseFormat = ChatResponseFormat.Json;

        var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var includeUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        var user = root.TryGetProperty("user", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        return new ChatRequest
        {
            Model = model, Messages = messages, Options = options, Stream = stream, IncludeUsageInStream = includeUsage,
            User = user, PromptCharacters = characters,
        };
    }

    private static double? Number(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw GatewayRequestException.Invalid($"{name} must be a number", name);
    }

    private static string ContentText(JsonElement content, string where) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString()!,
        JsonValueKind.Null => "",
        JsonValueKind.Array => string.Concat(content.EnumerateArray().Select(part =>
            part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.GetString() == "text" && part.TryGetProperty("text", out var text)
                ? text.GetString()
                : throw GatewayRequestException.Invalid($"{where}.content: only text parts are supported by the gateway", $"{where}.content"))),
        _ => throw GatewayRequestException.Invalid($"{where}.content must be a string or an array of text parts", $"{where}.content"),
    };

    public static string NewCompletionId() => "chatcmpl-" + RandomId(24);

    public static string RandomId(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return RandomNumberGenerator.GetString(alphabet, length);
    }

    public static string FinishReason(ChatFinishReason? reason) =>
        reason == ChatFinishReason.Length ? "length"
        : reason == ChatFinishReason.ContentFilter ? "content_filter"
        : reason == ChatFinishReason.ToolCalls ? "tool_calls"
        : "stop";

    public static void WriteCompletion(IBufferWriter<byte> output, string id, long created, string model, string text, ChatFinishReason? finish, UsageDetails? usage)
    {
        using var json = new Utf8JsonWriter(output);
        StartReply(json, "chat.completion", id, created, model);
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("message");
        json.WriteString("role", "assistant");
        json.WriteString("content", text);
        json.WriteNull("refusal");
        json.WriteEndObject();
        json.WriteNull("logprobs");
        json.WriteString("finish_reason", FinishReason(finish));
        json.WriteEndObject();
        json.WriteEndArray();
        WriteUsage(json, usage);
        json.WriteEndObject();
    }

    /// <summary>One SSE event `data: {chunk}\n\n`; a null delta text with a finish reason is the closing chunk.</summary>
    public static void WriteChunk(IBufferWriter<byte> output, string id, long created, string model, bool withRole, string? text, ChatFinishReason? finish)
    {
        output.Write("data: "u8);
        using (var json = new Utf8JsonWriter(output))
        {
            StartReply(json, "chat.completion.chunk", id, created, model);
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            json.WriteStartObject("delta");
            if (withRole) json.WriteString("role", "assistant");
            if (text is not null) json.WriteString("content", text);
            json.WriteEndObject();
            json.WriteNull("logprobs");
            if (finish is null) json.WriteNull("finish_reason");
            else json.WriteString("finish_reason", FinishReason(finish));
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.Write("\n\n"u8);
    }

    /// <summary>A completion's or chunk's opening fields (<paramref name="kind"/> is its "object"), up to its open choices array.</summary>
    private static void StartReply(Utf8JsonWriter json, string kind, string id, long created, string model)
    {
        json.WriteStartObject();
        json.WriteString("id", id);
        json.WriteString("object", kind);
        json.WriteNumber("created", created);
        json.WriteString("model", model);
        json.WriteStartArray("choices");
    }

    /// <summary>The extra last chunk of stream_options.include_usage: empty choices and the usage.</summary>
    public static void WriteUsageChunk(IBufferWriter<byte> output, string id, long created, string model, UsageDetails? usage)
    {
        output.Write("data: "u8);
        using (var json = new Utf8JsonWriter(output))
        {
            StartReply(json, "chat.completion.chunk", id, created, model);
            json.WriteEndArray();
            WriteUsage(json, usage);
            json.WriteEndObject();
        }
        output.Write("\n\n"u8);
    }

    public static void WriteDone(IBufferWriter<byte> output) => output.Write("data: [DONE]\n\n"u8);

    public static void WriteError(IBufferWriter<byte> output, string type, string code, string message, string? param = null)
    {
        using var json = new Utf8JsonWriter(output);
        WriteErrorObject(json, type, code, message, param);
    }

    /// <summary>An error inside an SSE stream after output has begun: `data: {"error": ...}`.</summary>
    public static void WriteStreamError(IBufferWriter<byte> output, string type, string code, string message)
    {
        output.Write("data: "u8);
        using (var json = new Utf8JsonWriter(output)) WriteErrorObject(json, type, code, message, null);
        output.Write("\n\n"u8);
    }

    private static void WriteErrorObject(Utf8JsonWriter json, string type, string code, string message, string? param)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", message);
        json.WriteString("type", type);
        if (param is null) json.WriteNull("param");
        else json.WriteString("param", param);
        json.WriteString("code", code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter json, UsageDetails? usage)
    {
        if (usage is null)
        {
            json.WriteNull("usage");
            return;
        }
        var input = usage.InputTokenCount ?? 0;
        var output = usage.OutputTokenCount ?? 0;
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", input);
        json.WriteNumber("completion_tokens", output);
        json.WriteNumber("total_tokens", usage.TotalTokenCount ?? input + output);
        if (usage.CachedInputTokenCount is { } cached)
        {
            json.WriteStartObject("prompt_tokens_details");
            json.WriteNumber("cached_tokens", cached);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }
}
