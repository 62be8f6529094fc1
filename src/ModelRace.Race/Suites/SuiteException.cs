namespace ModelRace.Race.Suites;

/// <summary>A suite or benchmark file that cannot be read; the message names the file and, where known, the line.</summary>
public sealed class SuiteException(string message, Exception? inner = null) : Exception(message, inner)
{
    public static SuiteException At(string file, int line, string problem) => new($"{file}:{line}: {problem}");
}
