using System.CommandLine;
using ModelRace.Cli.Commands;

namespace ModelRace.Cli;

/// <summary>Builds the `modelrace` command tree and runs it; Program.cs and the tests both enter here.</summary>
public static class ModelRaceApp
{
    public static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("ModelRace: catalog, connect, race and route open and closed language models.");
        foreach (var command in CommandRegistry.All(context)) root.Subcommands.Add(command);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliContext context)
    {
        var root = BuildRoot(context);
        var parse = root.Parse(args);
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false }, context.Cancellation);
        }
        catch (CliException e)
        {
            await context.Error.WriteLineAsync($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            await context.Error.WriteLineAsync("cancelled");
            return 130;
        }
    }
}
