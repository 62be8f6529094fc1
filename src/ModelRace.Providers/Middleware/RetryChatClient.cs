using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Polly;
using Polly.Retry;

namespace ModelRace.Providers.Middleware;

/// <summary>How hard to retry transient failures (429, 5xx, timeouts, dropped connections).</summary>
public sealed record RetrySettings
{
    public int MaxRetries { get; init; } = 4;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The longest single wait, whether from backoff or from a server's Retry-After.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);
    public bool UseJitter { get; init; } = true;
    public static readonly RetrySettings None = new() { MaxRetries = 0 };
}

/// <summary>
/// Retries transient EndpointExceptions with exponential backoff and jitter, waiting at least as long as a
/// Retry-After header asks. A stream is retried only until its first chunk: after that the caller has seen output.
/// </summary>
public sealed class RetryChatClient : DelegatingChatClient, IChatLayer
{
    IChatClient IChatLayer.Inner => InnerClient;

    private readonly ResiliencePipeline _pipeline;

    public RetryChatClient(IChatClient inner, RetrySettings settings, TimeProvider? timeProvider = null) : base(inner)
    {
        Settings = settings;
        if (settings.MaxRetries <= 0)
        {
            _pipeline = ResiliencePipeline.Empty;
            return;
        }
        var builder = new ResiliencePipelineBuilder();
        if (timeProvider is not null) builder.TimeProvider = timeProvider;
        _pipeline = builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = settings.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = settings.UseJitter,
            Delay = settings.BaseDelay,
            MaxDelay = settings.MaxDelay,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is EndpointException { IsTransient: true }),
            DelayGenerator = args => ValueTask.FromResult(DelayFor(args.Outcome.Exception, settings)),
        }).Build();
    }

    public RetrySettings Settings { get; }

    /// <summary>Retry-After when the server gave one (capped at MaxDelay); otherwise null, i.e. the backoff schedule.</summary>
    public static TimeSpan? DelayFor(Exception? exception, RetrySettings settings) =>
        exception is EndpointException { RetryAfter: { } wait } ? (wait > settings.MaxDelay ? settings.MaxDelay : wait) : null;

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        _pipeline.ExecuteAsync(async ct => await base.GetResponseAsync(messages, options, ct), cancellationToken).AsTask();

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Open the stream and read its first chunk under the retry policy; the rest flows without retries.
        var (stream, first) = await _pipeline.ExecuteAsync(async ct =>
        {
            var enumerator = base.GetStreamingResponseAsync(messages, options, ct).GetAsyncEnumerator(ct);
            try
            {
                var has = await enumerator.MoveNextAsync();
                return (enumerator, has ? enumerator.Current : null);
            }
            catch
            {
                await enumerator.DisposeAsync();
                throw;
            }
        }, cancellationToken);
        await using (stream)
        {
            if (first is null) yield break;
            yield return first;
            while (await stream.MoveNextAsync()) yield return stream.Current;
        }
    }
}
