using System.CommandLine;
using System.Globalization;
using ModelRace.Gateway.Usage;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace usage`: what the gateway served, summed by key, route, endpoint or day.</summary>
internal static class UsageCommands
{
    public static Command Create(CliContext context)
    {
        var by = new Option<string>("--by") { Description = "Group by key, route, endpoint or day.", DefaultValueFactory = _ => "route" };
        var days = new Option<int?>("--days") { Description = "Only the last N days." };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var command = new Command("usage", "Report gateway usage: requests, errors, tokens and cost.") { by, days, db, json };
        command.SetAction(parse =>
        {
            var grouping = parse.GetValue(by)?.ToLowerInvariant() switch
            {
                "key" => UsageGrouping.Key,
                "route" => UsageGrouping.Route,
                "endpoint" => UsageGrouping.Endpoint,
                "day" => UsageGrouping.Day,
                var other => throw new CliException($"--by must be key, route, endpoint or day, not '{other}'"),
            };
            if (parse.GetValue(days) is <= 0) throw new CliException("--days must be above 0");
            var since = parse.GetValue(days) is { } d ? DateTimeOffset.UtcNow.AddDays(-d) : (DateTimeOffset?)null;
            var lines = UsageReport.Query(KeysCommands.OpenStore(context, parse.GetValue(db)), grouping, since);
            var total = new UsageLine("total", lines.Sum(l => l.Requests), lines.Sum(l => l.Errors), lines.Sum(l => l.InputTokens),
                lines.Sum(l => l.OutputTokens), lines.Sum(l => l.Cost), null);
            if (parse.GetValue(json))
            {
                CommonOptions.WriteJson(context, new { By = grouping.ToString().ToLowerInvariant(), Lines = lines, Total = total });
                return 0;
            }
            var table = new Table().AddColumns(grouping.ToString(), "Requests", "Errors", "Input tok", "Output tok", "Cost (USD)", "Mean latency");
            foreach (var l in lines.Append(total))
            {
                table.AddRow(Markup.Escape(l.Group), N(l.Requests), N(l.Errors), N(l.InputTokens), N(l.OutputTokens),
                    l.Cost.ToString("0.######", CultureInfo.InvariantCulture), l.MeanLatencyMs is { } ms ? $"{ms:0.#} ms" : "");
            }
            context.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
