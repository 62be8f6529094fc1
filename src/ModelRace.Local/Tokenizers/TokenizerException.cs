namespace ModelRace.Local.Tokenizers;

/// <summary>A vocabulary this runtime cannot tokenize with, explained.</summary>
public sealed class TokenizerException : Exception
{
    public TokenizerException(string message) : base(message) { }
    public TokenizerException(string message, Exception inner) : base(message, inner) { }
    public TokenizerException() { }
}
