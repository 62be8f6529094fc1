using Microsoft.Extensions.AI;

namespace ModelRace.Gateway.Wire;

/// <summary>A chat request in wire-neutral form: what both /v1/chat/completions and /v1/messages parse into.</summary>
public sealed record ChatRequest
{
    public required string Model { get; init; }
    public required IReadOnlyList<ChatMessage> Messages { get; init; }
    public required ChatOptions Options { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsageInStream { get; init; }
    public string? User { get; init; }
    /// <summary>Characters of prompt text, for the token estimate behind budget holds.</summary>
    public long PromptCharacters { get; init; }

    /// <summary>Tokens a request may use: prompt estimate (4 characters a token) plus the most it may write.</summary>
    public (long Input, long Output) EstimateTokens(long defaultMaxOutput) =>
        (PromptCharacters / 4 + 16 * Messages.Count, Options.MaxOutputTokens ?? defaultMaxOutput);
}

/// <summary>A request the client got wrong; becomes a 4xx in the caller's wire format.</summary>
public sealed class GatewayRequestException(int status, string type, string code, string message, string? param = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string Code { get; } = code;
    public string? Param { get; } = param;

    public static GatewayRequestException Invalid(string message, string? param = null) =>
        new(400, "invalid_request_error", "invalid_request", message, param);
}
