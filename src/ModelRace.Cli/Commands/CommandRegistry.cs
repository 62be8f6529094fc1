using System.CommandLine;

namespace ModelRace.Cli.Commands;

/// <summary>One line per command group; each group lives in its own file.</summary>
internal static class CommandRegistry
{
    public static IEnumerable<Command> All(CliContext context)
    {
        yield return ModelsCommands.Create(context);
        yield return ConfigCommands.Create(context);
        yield return ServeCommands.Create(context);
        yield return KeysCommands.Create(context);
        yield return UsageCommands.Create(context);
        yield return BenchGatewayCommands.Create(context);
        foreach (var command in RaceCommands.Create(context)) yield return command;
        yield return PullCommands.Create(context);
        yield return TokenizeCommands.Create(context);
        yield return InspectCommands.Create(context);
        yield return SynthCommands.Create(context);
        yield return ChatCommands.Create(context);
        yield return DoctorCommands.Create(context);
        yield return GenerateCommands.Create(context);
        yield return BenchCommands.Create(context);
    }
}
