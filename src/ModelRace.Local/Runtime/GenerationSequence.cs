using System.Diagnostics;
using System.Text;
using ModelRace.Local.Model;
using ModelRace.Local.Sampling;

namespace ModelRace.Local.Runtime;

/// <summary>
/// The state of one generating sequence, independent of how its forward passes are scheduled: its cache, sampler and
/// history, the text decoded so far, stop strings (text that might be the start of one is held back until it is not)
/// and the finish reason. <see cref="TextGenerator"/> drives one alone; <see cref="ContinuousBatcher"/> drives many in
/// shared decoding steps. Either way the same logits give the same tokens and the same streamed text.
/// </summary>
internal sealed class GenerationSequence
{
    private readonly Action<string>? _onText;
    private readonly Sampler _sampler;
    private readonly List<int> _history;
    private readonly List<int> _generated = [];
    private readonly StreamingTextDecoder _decoder;
    private readonly StringBuilder _text = new();
    private readonly Stopwatch _clock = new();
    private int _emitted;
    private GenerationFinishReason _finish = GenerationFinishReason.Length;
    private TimeSpan _promptTime;

    public GenerationSequence(GenerationRequest request, Transformer model, TokenPieces pieces, Action<string>? onText)
    {
        Validate(request, model);
        Request = request;
        Pieces = pieces;
        _onText = onText;
        Cache = model.CreateCache(request.ContextLength);
        _sampler = new Sampler(request.Sampling);
        _history = new List<int>(request.PromptTokens);
        _decoder = new StreamingTextDecoder(pieces, request.PromptTokens[^1]);
    }

    public GenerationRequest Request { get; }
    public TokenPieces Pieces { get; }
    public KvCache Cache { get; }
    /// <summary>Prompt tokens already in the cache (the prompt may be processed in chunks).</summary>
    public int PromptProcessed { get; private set; }
    public bool IsPromptDone => PromptProcessed == Request.PromptTokens.Count;
    /// <summary>The token sampled last: the input of this sequence's next forward pass.</summary>
    public int NextToken { get; private set; }

    /// <summary>Refuses a request before any work is queued for it.</summary>
    public static void Validate(GenerationRequest request, Transformer model)
    {
        if (request.PromptTokens.Count == 0) throw new ArgumentException("the prompt has no tokens; a model needs at least one (e.g. BOS) to start from");
        if (request.MaxTokens < 0) throw new ArgumentException($"the token limit must be 0 or more, not {request.MaxTokens}");
        if (request.StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings must not be empty");
        request.Sampling.Validate();
        var contextLength = request.ContextLength ?? model.Config.TrainedContextLength;
        if (request.PromptTokens.Count > contextLength) throw new ContextLengthExceededException(request.PromptTokens.Count, contextLength);
    }

    /// <summary>
    /// Runs up to <paramref name="maxTokens"/> more prompt tokens; once the whole prompt is in, <paramref name="logits"/>
    /// holds the logits after its last token. Prompt time runs from the first chunk to the last.
    /// </summary>
    public void ProcessPrompt(Transformer model, int maxTokens, Span<float> logits)
    {
        if (PromptProcessed == 0) _clock.Start();
        var prompt = Request.PromptTokens;
        var count = Math.Min(maxTokens, prompt.Count - PromptProcessed);
        var chunk = new int[count];
        for (var i = 0; i < count; i++) chunk[i] = prompt[PromptProcessed + i];
        model.Forward(chunk, Cache, logits);
        PromptProcessed += count;
        if (!IsPromptDone) return;
        _promptTime = _clock.Elapsed;
        _clock.Restart();
    }

    /// <summary>
    /// Samples the next token from the logits after <see cref="NextToken"/> (or after the prompt) and streams the text
    /// that became final. Returns whether the sequence goes on, i.e. needs a forward pass of <see cref="NextToken"/>.
    /// </summary>
    public bool Advance(Span<float> logits)
    {
        if (_generated.Count >= Request.MaxTokens) return false;
        var token = _sampler.Sample(logits, _history);
        if (Pieces.EndOfGeneration.Contains(token)) { _finish = GenerationFinishReason.EndOfGeneration; return false; }
        _generated.Add(token);
        _history.Add(token);
        _text.Append(_decoder.Append(token));
        if (FindStop(_text, _emitted, Request.StopStrings) is { } stopAt)
        {
            _text.Length = stopAt;
            _finish = GenerationFinishReason.StopString;
            return false;
        }
        var safe = _text.Length - HeldBack(_text, Request.StopStrings);
        if (safe > _emitted) Emit(safe);
        NextToken = token;
        return _generated.Count < Request.MaxTokens && Cache.Length < Cache.ContextLength;
    }

    /// <summary>Streams what was held back (unless a stop string cut it) and gives the result.</summary>
    public GenerationResult Finish()
    {
        if (_finish != GenerationFinishReason.StopString) _text.Append(_decoder.Flush());
        if (_text.Length > _emitted) Emit(_text.Length);
        return new GenerationResult(Request.PromptTokens.ToArray(), _generated, _text.ToString(), _finish, _promptTime, _clock.Elapsed);
    }

    private void Emit(int upTo)
    {
        _onText?.Invoke(_text.ToString(_emitted, upTo - _emitted));
        _emitted = upTo;
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
