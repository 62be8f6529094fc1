using System.Diagnostics;
using System.Text;
using ModelRace.Local.Model;
using ModelRace.Local.Sampling;

namespace ModelRace.Local.Runtime;

public enum GenerationFinishReason
{
    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfGeneration,
    /// <summary>A stop string appeared (it is not part of the text).</summary>
    StopString,
    /// <summary>The token limit or the end of the context was reached.</summary>
    Length,
}

public sealed record GenerationRequest
{
    public required IReadOnlyList<int> PromptTokens { get; init; }
    public int MaxTokens { get; init; } = 256;
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Context length for this request's cache; null uses the model's trained context.</summary>
    public int? ContextLength { get; init; }
}

public sealed record GenerationResult(
    IReadOnlyList<int> PromptTokens,
    IReadOnlyList<int> Tokens,
    string Text,
    GenerationFinishReason FinishReason,
    TimeSpan PromptTime,
    TimeSpan GenerationTime)
{
    public double TokensPerSecond => GenerationTime.TotalSeconds > 0 ? Tokens.Count / GenerationTime.TotalSeconds : 0;
}

/// <summary>
/// The generation loop: evaluate the prompt in batches, then sample one token at a time until an end-of-generation
/// token, a stop string, the token limit or the end of the context. Text is streamed as it becomes final (text that
/// might be the start of a stop string is held back until it is not).
/// </summary>
public sealed class TextGenerator(Transformer model, TokenPieces pieces)
{
    public Transformer Model { get; } = model;
    public TokenPieces Pieces { get; } = pieces;

    public GenerationResult Generate(GenerationRequest request, Action<string>? onText = null, CancellationToken cancellation = default)
    {
        if (request.PromptTokens.Count == 0) throw new ArgumentException("the prompt has no tokens; a model needs at least one (e.g. BOS) to start from");
        if (request.MaxTokens < 0) throw new ArgumentException($"the token limit must be 0 or more, not {request.MaxTokens}");
        if (request.StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings must not be empty");
        var cache = Model.CreateCache(request.ContextLength);
        if (request.PromptTokens.Count > cache.ContextLength)
            throw new ContextLengthExceededException(request.PromptTokens.Count, cache.ContextLength);
        var sampler = new Sampler(request.Sampling);

        var clock = Stopwatch.StartNew();
        var logits = Model.Forward(request.PromptTokens.ToArray(), cache);
        var promptTime = clock.Elapsed;
        clock.Restart();

        var history = new List<int>(request.PromptTokens);
        var generated = new List<int>();
        var decoder = new StreamingTextDecoder(Pieces, request.PromptTokens[^1]);
        var text = new StringBuilder();
        var emitted = 0;
        var finish = GenerationFinishReason.Length;
        while (generated.Count < request.MaxTokens)
        {
            cancellation.ThrowIfCancellationRequested();
            var token = sampler.Sample(logits, history);
            if (Pieces.EndOfGeneration.Contains(token)) { finish = GenerationFinishReason.EndOfGeneration; break; }
            generated.Add(token);
            history.Add(token);
            text.Append(decoder.Append(token));
            if (FindStop(text, emitted, request.StopStrings) is { } stopAt)
            {
                text.Length = stopAt;
                finish = GenerationFinishReason.StopString;
                break;
            }
            var safe = text.Length - HeldBack(text, request.StopStrings);
            if (safe > emitted) { onText?.Invoke(text.ToString(emitted, safe - emitted)); emitted = safe; }
            if (generated.Count == request.MaxTokens || cache.Length == cache.ContextLength) break;
            logits = Model.Forward([token], cache);
        }
        if (finish != GenerationFinishReason.StopString) text.Append(decoder.Flush());
        if (text.Length > emitted) onText?.Invoke(text.ToString(emitted, text.Length - emitted));
        return new GenerationResult(request.PromptTokens.ToArray(), generated, text.ToString(), finish, promptTime, clock.Elapsed);
    }

    /// <summary>Where the earliest stop string starts, looking only where a new one could have appeared.</summary>
    private static int? FindStop(StringBuilder text, int emitted, IReadOnlyList<string> stops)
    {
        if (stops.Count == 0) return null;
        var s = text.ToString();
        int? best = null;
        foreach (var stop in stops)
        {
            var at = s.IndexOf(stop, Math.Max(0, emitted), StringComparison.Ordinal);
            if (at >= 0 && (best is null || at < best)) best = at;
        }
        return best;
    }

    /// <summary>Length of the longest end of the text that could still grow into a stop string.</summary>
    private static int HeldBack(StringBuilder text, IReadOnlyList<string> stops)
    {
        var held = 0;
        foreach (var stop in stops)
            for (var n = Math.Min(stop.Length - 1, text.Length); n > held; n--)
            {
                var matches = true;
                for (var i = 0; i < n && matches; i++) matches = text[text.Length - n + i] == stop[i];
                if (matches) { held = n; break; }
            }
        return held;
    }
}
