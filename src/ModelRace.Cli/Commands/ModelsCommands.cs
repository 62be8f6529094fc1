using System.CommandLine;
using System.Globalization;
using ModelRace.Core.Catalog;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace models` and `modelrace models show ID`.</summary>
internal static class ModelsCommands
{
    public static Command Create(CliContext context)
    {
        var open = new Option<bool>("--open") { Description = "Only models with downloadable weights." };
        var closed = new Option<bool>("--closed") { Description = "Only API-only models." };
        var commercial = new Option<bool>("--commercial") { Description = "Only models whose licence allows commercial use without a separate grant." };
        var maxInput = new Option<decimal?>("--max-input-price") { Description = "Only models whose input price per 1M tokens is at most this (models without a price are left out)." };
        var family = new Option<string?>("--family") { Description = "Only models whose family starts with this, e.g. llama-3 or qwen." };
        var json = CommonOptions.Json();
        var catalogDirs = CommonOptions.CatalogDirs();

        var command = new Command("models", "List the model catalog: access, licence, openness, price and context.")
        {
            open, closed, commercial, maxInput, family, json, catalogDirs,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(open) && parse.GetValue(closed))
                throw new CliException("--open and --closed exclude each other; pass one of them");
            var catalog = CommonOptions.LoadCatalog(context, parse.GetValue(catalogDirs));
            var query = new CatalogQuery
            {
                OpenOnly = parse.GetValue(open), ClosedOnly = parse.GetValue(closed), CommercialOnly = parse.GetValue(commercial),
                MaxInputPricePerMillion = parse.GetValue(maxInput), Family = parse.GetValue(family),
            };
            var cards = catalog.Query(query).ToList();
            if (parse.GetValue(json)) CommonOptions.WriteJson(context, cards.Select(CardJson.Summary));
            else RenderTable(context, cards);
            return 0;
        });
        command.Subcommands.Add(CreateShow(context));
        return command;
    }

    private static Command CreateShow(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The card id, as listed by `modelrace models`." };
        var json = CommonOptions.Json();
        var catalogDirs = CommonOptions.CatalogDirs();
        var command = new Command("show", "Show one model card in full, openness grades and sources included.") { id, json, catalogDirs };
        command.SetAction(parse =>
        {
            var catalog = CommonOptions.LoadCatalog(context, parse.GetValue(catalogDirs));
            var wanted = parse.GetValue(id)!;
            var card = catalog.Find(wanted) ?? throw new CliException(
                $"no model card with id '{wanted}'. Close matches: {string.Join(", ", Suggest(catalog.Cards, wanted))}");
            if (parse.GetValue(json)) CommonOptions.WriteJson(context, CardJson.Full(card));
            else CardView.Render(context.Console, card);
            return 0;
        });
        return command;
    }

    private static IEnumerable<string> Suggest(IEnumerable<ModelCard> cards, string wanted) =>
        cards.Select(c => c.Id)
             .OrderByDescending(id => id.Contains(wanted, StringComparison.OrdinalIgnoreCase) || wanted.Contains(id, StringComparison.OrdinalIgnoreCase))
             .ThenBy(id => Levenshtein(id, wanted)).Take(5);

    private static int Levenshtein(string a, string b)
    {
        var prev = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var cur = new int[b.Length + 1];
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1));
            prev = cur;
        }
        return prev[b.Length];
    }

    private static void RenderTable(CliContext context, IReadOnlyList<ModelCard> cards)
    {
        if (cards.Count == 0)
        {
            context.Console.MarkupLine("[yellow]No model matches these filters.[/]");
            return;
        }
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("id", "organisation", "access", "licence", "commercial", "openness")
            .AddColumn(new TableColumn("input $/1M").RightAligned())
            .AddColumn(new TableColumn("output $/1M").RightAligned())
            .AddColumn(new TableColumn("context").RightAligned());
        foreach (var c in cards)
        {
            table.AddRow(
                Markup.Escape(c.Id), Markup.Escape(c.Organisation), CardView.Access(c.Access),
                Markup.Escape(c.Licence?.Id ?? "unknown"), CardView.Permission(c.Licence?.CommercialUse ?? Permission.Unknown),
                c.OpennessScore is { } s ? s.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal) : "[grey]?[/]",
                CardView.Price(c.Prices?.InputPerMillion, c.Prices), CardView.Price(c.Prices?.OutputPerMillion, c.Prices),
                c.ContextWindow is { } ctx ? CardView.Tokens(ctx) : "[grey]?[/]");
        }
        context.Console.Write(table);
        context.Console.MarkupLine($"[grey]{cards.Count} model(s); ? = unknown. `modelrace models show ID` gives sources and openness grades.[/]");
    }
}
