using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelRace.Core.Endpoints;

namespace ModelRace.Providers.Connectors;

/// <summary>
/// The layer right above every connector: enforces the endpoint's timeout (to the first chunk and between chunks),
/// measures time to first token and total latency, turns whatever an SDK throws into an EndpointException, and
/// refuses a stream that ends without a finish reason rather than passing off a cut-off reply as complete.
/// </summary>
public sealed class GuardChatClient(IChatClient inner, EndpointContext context) : DelegatingChatClient(inner), IChatLayer
{
    IChatClient IChatLayer.Inner => InnerClient;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(context.Timeout);
        var capture = new WireCapture();
        WireCapture.Current = capture;
        var clock = Stopwatch.StartNew();
        try
        {
            var response = await base.GetResponseAsync(messages, options, timeout.Token);
            response.Set(ResponseMetadata.TimingKey, new ResponseTiming(null, clock.Elapsed));
            response.Set(ResponseMetadata.EndpointKey, context.Name);
            return response;
        }
        catch (Exception e) when (Translate(e, capture, timeout, midStream: false, cancellationToken) is { } translated)
        {
            throw translated;
        }
        finally
        {
            WireCapture.Current = null;
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(context.Timeout);
        var capture = new WireCapture();
        var clock = Stopwatch.StartNew();
        TimeSpan? firstToken = null;
        ChatFinishReason? finish = null;
        var any = false;

        IAsyncEnumerator<ChatResponseUpdate>? stream = null;
        try
        {
            while (true)
            {
                ChatResponseUpdate update;
                WireCapture.Current = capture;
                try
                {
                    stream ??= base.GetStreamingResponseAsync(messages, options, timeout.Token).GetAsyncEnumerator(timeout.Token);
                    if (!await stream.MoveNextAsync()) break;
                    update = stream.Current;
                }
                catch (Exception e) when (Translate(e, capture, timeout, midStream: any, cancellationToken) is { } translated)
                {
                    throw translated;
                }
                finally
                {
                    WireCapture.Current = null;
                }
                any = true;
                timeout.CancelAfter(context.Timeout);
                if (firstToken is null && update.Contents.Any(c => c is TextContent { Text.Length: > 0 } or TextReasoningContent or FunctionCallContent))
                    firstToken = clock.Elapsed;
                finish = update.FinishReason ?? finish;
                yield return update;
            }
        }
        finally
        {
            if (stream is not null) await stream.DisposeAsync();
        }

        if (finish is null)
        {
            throw new EndpointException(EndpointErrorKind.Truncated, context.Name,
                $"endpoint '{context.Name}': the reply stream from {context.Url} ended before the model finished (no finish reason was sent); " +
                $"the partial reply was discarded{LastBytes(capture)}");
        }
        var final = new ChatResponseUpdate(ChatRole.Assistant, (string?)null);
        final.Set(ResponseMetadata.TimingKey, new ResponseTiming(firstToken, clock.Elapsed));
        final.Set(ResponseMetadata.EndpointKey, context.Name);
        yield return final;
    }

    private static string LastBytes(WireCapture capture) =>
        capture.Tail is { Length: > 0 } tail ? $". Last bytes received: {WireGuardHandler.Quote(tail.Length > 200 ? tail[^200..] : tail)}" : "";

    private EndpointException? Translate(Exception e, WireCapture capture, CancellationTokenSource timeout, bool midStream, CancellationToken caller)
    {
        if (caller.IsCancellationRequested) return null; // the user cancelled: let OperationCanceledException through
        if (EndpointException.FindIn(e) is { } known) return known;
        if (timeout.IsCancellationRequested)
        {
            return new EndpointException(EndpointErrorKind.Timeout, context.Name,
                $"endpoint '{context.Name}': no {(midStream ? "further " : "")}reply from {context.Url} within {Seconds(context.Timeout)} " +
                "(limits.timeout); the server is slow or stuck", e);
        }
        if (Find<JsonException>(e) is not null || Find<FormatException>(e) is not null || Find<InvalidOperationException>(e) is { } ioe && ioe.Message.Contains("JSON", StringComparison.OrdinalIgnoreCase)
            || Find<KeyNotFoundException>(e) is not null || e.GetType().Name.Contains("Json", StringComparison.Ordinal) || e.GetType().Name.Contains("Invalid", StringComparison.Ordinal))
        {
            return new EndpointException(EndpointErrorKind.MalformedResponse, context.Name,
                $"endpoint '{context.Name}' sent a reply that is not the JSON its API promises ({Root(e).Message}). " +
                $"It began/ended: {WireGuardHandler.Quote(capture.Tail.Length > 300 ? capture.Tail[^300..] : capture.Tail)}", e);
        }
        if (Find<IOException>(e) is not null || Find<HttpRequestException>(e) is not null || e is OperationCanceledException)
        {
            return new EndpointException(midStream ? EndpointErrorKind.Truncated : EndpointErrorKind.Unreachable, context.Name,
                midStream
                    ? $"endpoint '{context.Name}': the connection to {context.Url} was cut off in the middle of the reply; the partial reply was discarded"
                    : $"endpoint '{context.Name}': the connection to {context.Url} failed: {Root(e).Message}", e);
        }
        return new EndpointException(EndpointErrorKind.MalformedResponse, context.Name,
            $"endpoint '{context.Name}' ({context.Url}) failed unexpectedly: {Root(e).GetType().Name}: {Root(e).Message}", e);
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMilliseconds:0} ms";

    private static T? Find<T>(Exception e) where T : Exception
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is T found) return found;
        return null;
    }

    private static Exception Root(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
