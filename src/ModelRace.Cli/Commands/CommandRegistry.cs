using System.CommandLine;

namespace ModelRace.Cli.Commands;

/// <summary>One line per command group; each group lives in its own file.</summary>
internal static class CommandRegistry
{
    public static IEnumerable<Command> All(CliContext context)
    {
        yield return ModelsCommands.Create(context);
        yield return ConfigCommands.Create(context);
        foreach (var command in RaceCommands.Create(context)) yield return command;
        yield return PullCommands.Create(context);
    }
}
