using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ModelRace.Providers.Tests;

/// <summary>An in-memory IChatClient whose every call runs a script, for testing middleware on its own.</summary>
public sealed class ScriptedChatClient(Func<int, ChatResponse> script) : IChatClient
{
    private int _calls;
    private int _inFlight;

    public int Calls => _calls;
    public int MaxInFlight { get; private set; }
    public TimeSpan Hold { get; init; }

    public static ChatResponse Reply(string text, long input = 100, long output = 20, long? cached = null) =>
        new(new ChatMessage(ChatRole.Assistant, text))
        {
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, CachedInputTokenCount = cached, TotalTokenCount = input + output },
        };

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = Interlocked.Increment(ref _calls);
        var now = Interlocked.Increment(ref _inFlight);
        lock (this) MaxInFlight = Math.Max(MaxInFlight, now);
        try
        {
            if (Hold > TimeSpan.Zero) await Task.Delay(Hold, cancellationToken);
            return script(call);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;
    public void Dispose() { }
}
