using Spectre.Console.Testing;

namespace ModelRace.Cli.Tests;

/// <summary>Runs `modelrace` in-process with captured output, a private home directory and a fake environment.</summary>
public sealed class CliHarness : IDisposable
{
    public string Home { get; } = Directory.CreateTempSubdirectory("modelrace-home-").FullName;
    public string WorkDir { get; } = Directory.CreateTempSubdirectory("modelrace-cwd-").FullName;
    public Dictionary<string, string> Environment { get; } = new();
    /// <summary>Run as in a terminal: progress displays draw their final frame instead of once-a-second log lines.</summary>
    public bool Interactive { get; init; }

    public sealed record Result(int ExitCode, string Console, string Out, string Error);

    public async Task<Result> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        if (Interactive) console.Interactive();
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext
        {
            Console = console,
            Out = output,
            Error = error,
            WorkingDirectory = WorkDir,
            GetEnvironmentVariable = name => name == "MODELRACE_HOME" ? Home : Environment.GetValueOrDefault(name),
        };
        var code = await ModelRaceApp.RunAsync(args, context);
        return new Result(code, console.Output, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        Directory.Delete(Home, recursive: true);
        Directory.Delete(WorkDir, recursive: true);
    }
}
