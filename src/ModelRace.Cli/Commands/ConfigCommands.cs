using System.CommandLine;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace config init`: writes a commented example configuration.</summary>
internal static class ConfigCommands
{
    public static Command Create(CliContext context)
    {
        var path = new Argument<string>("path") { Description = "Where to write it.", DefaultValueFactory = _ => "modelrace.yaml" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing file." };
        var init = new Command("init", "Write a commented example modelrace.yaml.") { path, force };
        init.SetAction(parse =>
        {
            var target = Path.GetFullPath(Path.Combine(context.WorkingDirectory, parse.GetValue(path)!));
            if (File.Exists(target) && !parse.GetValue(force))
                throw new CliException($"{target} already exists; pass --force to overwrite it");
            File.WriteAllText(target, ExampleConfig.Text);
            context.Console.MarkupLine($"Wrote [bold]{Markup.Escape(target)}[/]. Edit it, then run `modelrace doctor`.");
            return 0;
        });
        return new Command("config", "Manage modelrace.yaml.") { init };
    }
}
