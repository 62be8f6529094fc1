namespace ModelRace.Local.Gguf;

/// <summary>A GGUF file that cannot be read; the message names the problem and, where known, the byte offset.</summary>
public sealed class GgufFormatException(string message) : Exception(message);
