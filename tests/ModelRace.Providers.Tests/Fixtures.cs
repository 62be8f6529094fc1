namespace ModelRace.Providers.Tests;

/// <summary>Wire bodies written for these tests from each provider's public API reference.</summary>
public static class Fixtures
{
    public static string Sse(string data) => $"data: {data}\n\n";
    public static string SseEvent(string name, string data) => $"event: {name}\ndata: {data}\n\n";

    // OpenAI Chat Completions (platform.openai.com/docs/api-reference/chat).
    public const string OpenAIResponse = """
        {"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Paris is the capital."},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200,"prompt_tokens_details":{"cached_tokens":400}}}
        """;

    public static string OpenAIChunk(string? content, string? finish = null, string? role = null)
    {
        var delta = role is not null ? $"{{\"role\":\"{role}\",\"content\":\"\"}}" : content is null ? "{}" : $"{{\"content\":\"{content}\"}}";
        var reason = finish is null ? "null" : $"\"{finish}\"";
        return Sse($$"""{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{reason}}}]}""");
    }

    public static readonly string OpenAIUsageChunk = Sse("""{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4}}}""");

    public static IEnumerable<string> OpenAIStream() =>
    [
        OpenAIChunk(null, role: "assistant"), OpenAIChunk("Hel"), OpenAIChunk("lo"), OpenAIChunk(" world"),
        OpenAIChunk(null, finish: "stop"), OpenAIUsageChunk, Sse("[DONE]"),
    ];

    public const string OpenAIError401 = """{"error":{"message":"Incorrect API key provided: sk-wrong.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""";
    public const string OpenAIError404 = """{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}""";
    public const string OpenAIError429 = """{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}""";
    public const string OpenAIError500 = """{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}""";
    public const string OpenAIModels = """{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1700000000,"owned_by":"system"},{"id":"gpt-4o","object":"model","created":1700000000,"owned_by":"system"}]}""";

    // Anthropic Messages API (docs.anthropic.com/en/api/messages and /messages-streaming).
    public const string AnthropicResponse = """
        {"id":"msg_01","type":"message","role":"assistant","model":"claude-test",
         "content":[{"type":"text","text":"Bonjour!"}],"stop_reason":"end_turn","stop_sequence":null,
         "usage":{"input_tokens":20,"output_tokens":6,"cache_creation_input_tokens":0,"cache_read_input_tokens":10}}
        """;

    public static IEnumerable<string> AnthropicStream(bool complete = true)
    {
        yield return SseEvent("message_start", """{"type":"message_start","message":{"id":"msg_02","type":"message","role":"assistant","content":[],"model":"claude-test","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}""");
        yield return SseEvent("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""");
        yield return SseEvent("ping", """{"type":"ping"}""");
        yield return SseEvent("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}""");
        yield return SseEvent("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}""");
        if (!complete) yield break;
        yield return SseEvent("content_block_stop", """{"type":"content_block_stop","index":0}""");
        yield return SseEvent("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}""");
        yield return SseEvent("message_stop", """{"type":"message_stop"}""");
    }

    public const string AnthropicError401 = """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}""";
    public const string AnthropicError529 = """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""";

    // Gemini generateContent (ai.google.dev/api/generate-content).
    public const string GeminiResponse = """
        {"candidates":[{"content":{"parts":[{"text":"Hallo Welt"}],"role":"model"},"finishReason":"STOP","index":0}],
         "usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":3,"totalTokenCount":11,"cachedContentTokenCount":2},
         "modelVersion":"gemini-test-001","responseId":"resp-1"}
        """;

    public static IEnumerable<string> GeminiStream(bool complete = true)
    {
        yield return Sse("""{"candidates":[{"content":{"parts":[{"text":"Hal"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"gemini-test-001","responseId":"resp-2"}""");
        yield return Sse("""{"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"gemini-test-001","responseId":"resp-2"}""");
        if (!complete) yield break;
        yield return Sse("""{"candidates":[{"content":{"parts":[{"text":" Welt"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":4,"totalTokenCount":12},"modelVersion":"gemini-test-001","responseId":"resp-2"}""");
    }

    public const string GeminiKeyInvalid = """{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}""";
    public const string GeminiNotFound = """{"error":{"code":404,"message":"models/gemini-nope is not found for API version v1beta, or is not supported for generateContent.","status":"NOT_FOUND"}}""";
}
