using System.CommandLine;
using ModelRace.Providers;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace doctor`: checks every configured endpoint and explains each problem in plain words.</summary>
internal static class DoctorCommands
{
    public static Command Create(CliContext context)
    {
        var config = EndpointSetup.ConfigOption();
        var json = CommonOptions.Json();
        var catalogDirs = CommonOptions.CatalogDirs();
        var command = new Command("doctor", "Check every endpoint in modelrace.yaml: key set, key accepted, models offered, prices known.")
        {
            config, json, catalogDirs,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = EndpointSetup.LoadConfig(context, parse.GetValue(config));
            var catalog = CommonOptions.LoadCatalog(context, parse.GetValue(catalogDirs));
            var doctor = new EndpointDoctor(EndpointSetup.Factory(context, settings, catalog));
            IReadOnlyList<DoctorFinding> findings;
            if (parse.GetValue(json)) findings = await doctor.CheckAllAsync(cancellationToken);
            else
            {
                findings = [];
                await context.Console.Status().StartAsync($"Checking {settings.Endpoints.Count} endpoint(s) from {settings.SourcePath}…",
                    async _ => findings = await doctor.CheckAllAsync(cancellationToken));
            }

            if (parse.GetValue(json)) CommonOptions.WriteJson(context, new { config = settings.SourcePath, findings });
            else Render(context, settings.SourcePath, findings);
            return findings.Any(f => f.Status == DoctorStatus.Problem) ? 1 : 0;
        });
        return command;
    }

    private static void Render(CliContext context, string source, IReadOnlyList<DoctorFinding> findings)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("endpoint", "model", "status", "what we found");
        foreach (var f in findings)
        {
            var status = f.Status switch
            {
                DoctorStatus.Ok => "[green]ok[/]",
                DoctorStatus.Warning => "[yellow]warning[/]",
                _ => "[red]problem[/]",
            };
            var text = Markup.Escape(f.Summary) + (f.Advice is { } a ? $"\n[bold]What to do:[/] {Markup.Escape(a)}" : "");
            table.AddRow(Markup.Escape(f.Endpoint), Markup.Escape(f.Model ?? "-"), status, text);
        }
        context.Console.MarkupLine($"Config: [bold]{Markup.Escape(source)}[/]");
        context.Console.Write(table);
        var problems = findings.Count(f => f.Status == DoctorStatus.Problem);
        var warnings = findings.Count(f => f.Status == DoctorStatus.Warning);
        context.Console.MarkupLine(problems == 0
            ? $"[green]All endpoints are usable.[/]{(warnings > 0 ? $" {warnings} warning(s) above." : "")}"
            : $"[red]{problems} problem(s)[/] and {warnings} warning(s). Fix them, then run `modelrace doctor` again.");
    }
}
