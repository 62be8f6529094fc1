using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using ModelRace.Core.Endpoints;
using ModelRace.Local.Runtime;

namespace ModelRace.Cli.Commands;

/// <summary>
/// Serves `kind: local` endpoints: each GGUF file is loaded once per process and shared by every client built for it,
/// because the weights are large and <see cref="LocalChatClient"/> already batches concurrent requests.
/// </summary>
internal sealed class LocalModelPool(CliContext context)
{
    private readonly ConcurrentDictionary<string, Lazy<LocalChatClient>> _models = new(StringComparer.Ordinal);

    public IChatClient Create(EndpointConfig endpoint, EndpointModel model)
    {
        var spec = model.Path ?? model.Name;
        var path = ResolvePath(spec);
        var shared = _models.GetOrAdd(path, p => new Lazy<LocalChatClient>(() => LocalChatClient.Open(p))).Value;
        return new SharedClient(shared);
    }

    private string ResolvePath(string spec)
    {
        var expanded = spec.StartsWith("~/", StringComparison.Ordinal) || spec.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)
            ? EndpointSetup.ExpandHome(spec, context)
            : spec;
        // Either a file on disk, or a hub spec (owner/repo:QUANT) pulled to the cache on first use.
        return File.Exists(expanded)
            ? expanded
            : PullCommands.ResolveLocalModelAsync(context, spec, context.Cancellation).GetAwaiter().GetResult();
    }

    /// <summary>Keeps the middleware stack from disposing a model that other clients still use.</summary>
    private sealed class SharedClient(IChatClient inner) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            inner.GetResponseAsync(messages, options, cancellationToken);

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            inner.GetStreamingResponseAsync(messages, options, cancellationToken);

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

        public void Dispose()
        {
        }
    }
}
