using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using ModelRace.Core.Race;
using ModelRace.Local.Model;
using ModelRace.Local.Sampling;
using ModelRace.Local.Tokenizers;

namespace ModelRace.Local.Runtime;

/// <summary>
/// The `local` endpoint: an <see cref="IChatClient"/> over a GGUF model running in-process. Concurrent requests decode
/// together in batched steps (<see cref="ContinuousBatcher"/>), each with its own KV cache and sampler, so they never
/// share state and each gets the answer it would get alone; past the concurrency bound they queue. Responses carry token usage, the finish reason, and latency in AdditionalProperties
/// ("latency_ms", "time_to_first_token_ms", "tokens_per_second"). It also scores multiple-choice answers by
/// log-likelihood (<see cref="ILogLikelihoodModel"/>), which chat APIs cannot.
/// </summary>
public sealed class LocalChatClient : IChatClient, ILogLikelihoodModel
{
    private readonly Transformer _model;
    private readonly ITokenizer _tokenizer;
    private readonly ContinuousBatcher _batcher;
    private readonly Func<IReadOnlyList<ChatMessage>, string> _formatPrompt;
    private readonly ChatClientMetadata _metadata;

    /// <param name="formatPrompt">
    /// Turns the conversation into prompt text (a chat template). The default joins the messages' text with newlines,
    /// which suits raw completion models.
    /// </param>
    /// <param name="maxConcurrentRequests">Requests decoding at once (each holds a KV cache that grows up to <see cref="ContextLength"/>); more wait.</param>
    public LocalChatClient(Transformer model, ITokenizer tokenizer, Func<IReadOnlyList<ChatMessage>, string>? formatPrompt = null, bool ownsModel = false,
        int? contextLength = null, int maxConcurrentRequests = ContinuousBatcher.DefaultMaxSequences)
    {
        _model = model;
        _tokenizer = tokenizer;
        // The loop releases an owned model itself, after its last step: Dispose may be called from a text callback,
        // on the loop's own thread, while a step is still to finish.
        _batcher = new ContinuousBatcher(model, new TokenPieces(model.File), maxConcurrentRequests, onStopped: ownsModel ? model.Dispose : null);
        _formatPrompt = formatPrompt ?? (messages => string.Join("\n", messages.Select(m => m.Text)));
        ContextLength = contextLength ?? Math.Min(model.Config.TrainedContextLength, 4096);
        _metadata = new ChatClientMetadata("modelrace-local", null, Path.GetFileNameWithoutExtension(model.File.Path));
    }

    /// <summary>Loads a model; prompts go through its chat template unless <paramref name="useChatTemplate"/> is false.</summary>
    public static LocalChatClient Open(string ggufPath, bool useChatTemplate = true, int? contextLength = null, int maxConcurrentRequests = ContinuousBatcher.DefaultMaxSequences)
    {
        var model = Transformer.Load(ggufPath);
        try
        {
            Func<IReadOnlyList<ChatMessage>, string>? format = null;
            if (useChatTemplate)
            {
                var template = Chat.ChatTemplate.ForModel(model.File);
                format = messages => template.RenderChatMessages(messages);
            }
            return new LocalChatClient(model, Tokenizer.FromGguf(model.File), format, ownsModel: true, contextLength, maxConcurrentRequests);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public int ContextLength { get; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (request, clock) = Prepare(messages, options);
        double? firstTokenMs = null;
        var result = await _batcher.GenerateAsync(request, _ => firstTokenMs ??= clock.Elapsed.TotalMilliseconds, cancellationToken).ConfigureAwait(false);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, result.Text))
        {
            ModelId = _metadata.DefaultModelId,
            FinishReason = FinishReason(result),
            Usage = Usage(result),
            CreatedAt = DateTimeOffset.UtcNow,
            AdditionalProperties = Timing(result, clock, firstTokenMs),
        };
        return response;
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (request, clock) = Prepare(messages, options);
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        double? firstTokenMs = null;
        async Task<GenerationResult> Generate()
        {
            try
            {
                return await _batcher.GenerateAsync(request, piece =>
                {
                    firstTokenMs ??= clock.Elapsed.TotalMilliseconds;
                    pieces.Writer.TryWrite(piece);
                }, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                pieces.Writer.TryComplete();
            }
        }
        var generation = Generate();
        var responseId = Guid.NewGuid().ToString("N");
        // Cancelling ends the generation at once, and the stream too: pieces already buffered are not handed out.
        await foreach (var piece in pieces.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { ResponseId = responseId, ModelId = _metadata.DefaultModelId };
        }
        var result = await generation.ConfigureAwait(false);
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(result))])
        {
            ResponseId = responseId,
            ModelId = _metadata.DefaultModelId,
            FinishReason = FinishReason(result),
            AdditionalProperties = Timing(result, clock, firstTokenMs),
        };
    }

    /// <summary>
    /// Multiple choice by log-likelihood, tokenized as lm-evaluation-harness does: spaces ending the context move to
    /// the continuation, and a continuation's tokens are those of context + continuation past the context's own count
    /// (with the model's BOS first, as its prompts have). The raw text is scored; no chat template applies. It runs
    /// between batched steps, so chats in progress pause for it rather than share the model.
    /// </summary>
    public Task<IReadOnlyList<double>> ScoreContinuationsAsync(string context, IReadOnlyList<string> continuations, CancellationToken cancellationToken)
    {
        var trimmed = context.TrimEnd(' ');
        var movedSpaces = context[trimmed.Length..];
        var contextTokens = _tokenizer.Encode(trimmed, addSpecial: true);
        if (contextTokens.Length == 0) throw new ArgumentException("the context gives no tokens and this model adds no BOS token to predict the first answer token from");
        var continuationTokens = continuations.Select(continuation =>
        {
            var whole = _tokenizer.Encode(trimmed + movedSpaces + continuation, addSpecial: true);
            if (whole.Length <= contextTokens.Length) throw new ArgumentException($"the answer \"{continuation}\" adds no tokens to the context");
            return (IReadOnlyList<int>)whole[contextTokens.Length..];
        }).ToList();
        var needed = contextTokens.Length + continuationTokens.Max(t => t.Count);
        if (needed > ContextLength) throw new ContextLengthExceededException(needed, ContextLength);
        return _batcher.RunExclusiveAsync<IReadOnlyList<double>>(
            model => LogLikelihood.Score(model, contextTokens, continuationTokens, needed).Select(score => score.Total).ToList(), cancellationToken);
    }

    private (GenerationRequest Request, Stopwatch Clock) Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var clock = Stopwatch.StartNew();
        var prompt = _formatPrompt(messages.ToList());
        // A template that writes BOS itself must not get a second one from the tokenizer.
        var writesBos = _tokenizer.BosId is { } bos && _tokenizer.TokenText(bos) is { Length: > 0 } bosText && prompt.StartsWith(bosText, StringComparison.Ordinal);
        var tokens = _tokenizer.Encode(prompt, addSpecial: !writesBos, parseSpecial: true);
        if (tokens.Length == 0) throw new ArgumentException("the conversation gives an empty prompt and this model adds no BOS token");
        if (tokens.Length >= ContextLength) throw new ContextLengthExceededException(tokens.Length + 1, ContextLength);
        var defaults = new SamplingOptions();
        var sampling = new SamplingOptions
        {
            Temperature = options?.Temperature ?? defaults.Temperature,
            TopP = options?.TopP ?? defaults.TopP,
            TopK = options?.TopK ?? defaults.TopK,
            FrequencyPenalty = options?.FrequencyPenalty ?? 0,
            PresencePenalty = options?.PresencePenalty ?? 0,
            Seed = options?.Seed is { } seed ? unchecked((int)seed) : null,
        };
        var request = new GenerationRequest
        {
            PromptTokens = tokens,
            MaxTokens = options?.MaxOutputTokens ?? ContextLength - tokens.Length,
            Sampling = sampling,
            StopStrings = options?.StopSequences?.ToArray() ?? [],
            ContextLength = ContextLength,
        };
        return (request, clock);
    }

    private static ChatFinishReason FinishReason(GenerationResult result) =>
        result.FinishReason == GenerationFinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails Usage(GenerationResult result) => new()
    {
        InputTokenCount = result.PromptTokens.Count,
        OutputTokenCount = result.Tokens.Count,
        TotalTokenCount = result.PromptTokens.Count + result.Tokens.Count,
    };

    private static AdditionalPropertiesDictionary Timing(GenerationResult result, Stopwatch clock, double? firstTokenMs) => new()
    {
        ["latency_ms"] = clock.Elapsed.TotalMilliseconds,
        ["time_to_first_token_ms"] = firstTokenMs ?? clock.Elapsed.TotalMilliseconds,
        ["tokens_per_second"] = result.TokensPerSecond,
    };

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(Transformer) ? _model
        : null;

    public void Dispose()
    {
        _batcher.Dispose();
    }
}
