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
/// One generation at a time: evaluate the prompt in batches, then sample one token at a time until an end-of-generation
/// token, a stop string, the token limit or the end of the context (see <see cref="GenerationSequence"/>). Several
/// concurrent generations on one model go through <see cref="ContinuousBatcher"/> instead.
/// </summary>
public sealed class TextGenerator(Transformer model, TokenPieces pieces)
{
    public Transformer Model { get; } = model;
    public TokenPieces Pieces { get; } = pieces;

    public GenerationResult Generate(GenerationRequest request, Action<string>? onText = null, CancellationToken cancellation = default)
    {
        var sequence = new GenerationSequence(request, Model, Pieces, onText);
        var logits = new float[Model.Config.VocabSize];
        sequence.ProcessPrompt(Model, request.PromptTokens.Count, logits);
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            if (!sequence.Advance(logits)) break;
            Model.Forward([sequence.NextToken], sequence.Cache, logits);
        }
        return sequence.Finish();
    }
}
