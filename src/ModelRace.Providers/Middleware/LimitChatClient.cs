using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Microsoft.Extensions.AI;
using ModelRace.Core.Endpoints;

namespace ModelRace.Providers.Middleware;

/// <summary>
/// One endpoint's max_concurrency, rpm and tpm, shared by every client of that endpoint. Requests wait their turn
/// rather than fail. Tokens per minute are charged before the call from an estimate (prompt characters / 4 plus
/// max output tokens), because the real count is known only afterwards.
/// </summary>
public sealed class LimitGate : IDisposable
{
    private readonly ConcurrencyLimiter? _concurrency;
    private readonly SlidingWindowRateLimiter? _requests;
    private readonly TokenBucketRateLimiter? _tokens;
    private readonly int _tokenCapacity;

    /// <param name="window">One minute in production; tests shrink it.</param>
    public LimitGate(EndpointLimits limits, TimeSpan? window = null)
    {
        var minute = window ?? TimeSpan.FromMinutes(1);
        if (limits.MaxConcurrency is { } max)
            _concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = max, QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst });
        if (limits.RequestsPerMinute is { } rpm)
            _requests = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
            {
                PermitLimit = rpm, Window = minute, SegmentsPerWindow = 6, QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst, AutoReplenishment = true,
            });
        if (limits.TokensPerMinute is { } tpm)
        {
            _tokenCapacity = tpm;
            _tokens = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = tpm, TokensPerPeriod = Math.Max(1, tpm / 60), ReplenishmentPeriod = minute / 60,
                QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst, AutoReplenishment = true,
            });
        }
    }

    public static int EstimateTokens(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        (int)Math.Min(int.MaxValue / 2, messages.Sum(m => (long)m.Text.Length) / 4 + 1 + (options?.MaxOutputTokens ?? 0));

    /// <summary>Waits for a slot under every limit; dispose the result when the request is over.</summary>
    public async Task<IDisposable> AcquireAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var leases = new Leases();
        try
        {
            if (_concurrency is not null) leases.Add(await _concurrency.AcquireAsync(1, cancellationToken));
            if (_requests is not null) leases.Add(await _requests.AcquireAsync(1, cancellationToken));
            if (_tokens is not null) leases.Add(await _tokens.AcquireAsync(Math.Min(_tokenCapacity, EstimateTokens(messages, options)), cancellationToken));
            return leases;
        }
        catch
        {
            leases.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _concurrency?.Dispose();
        _requests?.Dispose();
        _tokens?.Dispose();
    }

    private sealed class Leases : List<RateLimitLease>, IDisposable
    {
        public void Dispose()
        {
            foreach (var lease in this) lease.Dispose();
        }
    }
}

/// <summary>Holds each request (a stream until its end) inside its endpoint's LimitGate.</summary>
public sealed class LimitChatClient(IChatClient inner, LimitGate gate) : DelegatingChatClient(inner), IChatLayer
{
    IChatClient IChatLayer.Inner => InnerClient;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var lease = await gate.AcquireAsync(messages, options, cancellationToken);
        return await base.GetResponseAsync(messages, options, cancellationToken);
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var lease = await gate.AcquireAsync(messages, options, cancellationToken);
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken)) yield return update;
    }
}
