using Spectre.Console;

namespace ModelRace.Cli;

/// <summary>Everything a command touches outside itself, so that tests can run commands in-process.</summary>
public sealed class CliContext
{
    public required IAnsiConsole Console { get; init; }
    /// <summary>Plain output for machine-readable data (--json); never decorated.</summary>
    public required TextWriter Out { get; init; }
    public required TextWriter Error { get; init; }
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();
    public CancellationToken Cancellation { get; init; }

    /// <summary>~/.modelrace, or MODELRACE_HOME when set.</summary>
    public string HomeDirectory =>
        GetEnvironmentVariable("MODELRACE_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".modelrace");

    public static CliContext ForProcess(CancellationToken cancellation) => new()
    {
        Console = CreateProcessConsole(),
        Out = System.Console.Out,
        Error = System.Console.Error,
        Cancellation = cancellation,
    };

    /// <summary>
    /// Spectre falls back to 80 columns when output is piped, which wraps wide tables into unreadable cells;
    /// honour COLUMNS, and otherwise give piped output room for a full table.
    /// </summary>
    private static IAnsiConsole CreateProcessConsole()
    {
        var console = AnsiConsole.Console;
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 20)
            console.Profile.Width = columns;
        else if (System.Console.IsOutputRedirected)
            console.Profile.Width = 180;
        return console;
    }
}
