namespace ModelRace.Cli;

/// <summary>A user-facing failure: its message is printed as is, without a stack trace.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
