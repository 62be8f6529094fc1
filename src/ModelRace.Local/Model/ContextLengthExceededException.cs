namespace ModelRace.Local.Model;

/// <summary>Thrown when tokens would not fit in the context; nothing is ever silently truncated.</summary>
public sealed class ContextLengthExceededException(int needed, int contextLength)
    : Exception($"{needed} tokens do not fit in the context of {contextLength} tokens; use a larger context (--ctx) or a shorter prompt")
{
    public int Needed { get; } = needed;
    public int ContextLength { get; } = contextLength;
}
