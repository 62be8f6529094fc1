using System.Globalization;
using ModelRace.Catalog;
using ModelRace.Core.Catalog;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>Human rendering of model cards.</summary>
internal static class CardView
{
    public static string Access(ModelAccess access) => access switch
    {
        ModelAccess.OpenWeights => "[green]open weights[/]",
        ModelAccess.ApiOnly => "[blue]API only[/]",
        ModelAccess.Both => "[green]open + API[/]",
        _ => "[grey]unknown[/]",
    };

    public static string Permission(Permission p) => p switch
    {
        Core.Catalog.Permission.Allowed => "[green]yes[/]",
        Core.Catalog.Permission.Restricted => "[yellow]needs grant[/]",
        Core.Catalog.Permission.Prohibited => "[red]no[/]",
        _ => "[grey]unknown[/]",
    };

    public static string Price(decimal? value, PriceSheet? sheet) =>
        value is { } v && sheet is not null ? $"{v.ToString("0.00##", CultureInfo.InvariantCulture)}{(sheet.Currency == "USD" ? "" : " " + sheet.Currency)}" : "[grey]-[/]";

    public static string Tokens(long n) =>
        n >= 1000 && n % 1000 == 0 ? $"{n / 1000}K"
        : n >= 1024 && n % 1024 == 0 ? $"{n / 1024}K"
        : n >= 1000 ? $"{n / 1000.0:0.#}K" : n.ToString(CultureInfo.InvariantCulture);

    private static string Src(Source? s) => s is null ? "[grey]no source[/]" :
        $"[link={Markup.Escape(s.Url)}]{Markup.Escape(s.Url)}[/]{(s.AsOf is { } d ? $" [grey](as of {d:yyyy-MM-dd})[/]" : "")}{(s.Note is { } n ? $"\n[grey]{Markup.Escape(n)}[/]" : "")}";

    public static void Render(IAnsiConsole console, ModelCard c)
    {
        var facts = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumns("field", "value");
        void Row(string k, string v) => facts.AddRow($"[bold]{k}[/]", v);
        string Or(string? v) => v is null ? "[grey]unknown[/]" : Markup.Escape(v);
        Row("id", Markup.Escape(c.Id));
        Row("name", Markup.Escape(c.DisplayName));
        Row("organisation", Markup.Escape(c.Organisation));
        Row("family", Markup.Escape(c.Family));
        Row("released", Or(c.ReleaseDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        Row("parameters", c.Parameters.Total is { } t
            ? $"{Billions(t)}{(c.Parameters.Active is { } a ? $" total, {Billions(a)} active (MoE)" : "")}" : "[grey]unknown[/]");
        Row("context", c.ContextWindow is { } ctx ? $"{ctx:N0} tokens" : "[grey]unknown[/]");
        Row("modalities", c.Modalities.Count == 0 ? "[grey]unknown[/]" : Markup.Escape(string.Join(", ", c.Modalities)));
        Row("access", Access(c.Access));
        Row("jurisdiction", Or(c.Jurisdiction));
        Row("source", Src(c.Source));
        if (c.Licence is { } l)
        {
            Row("licence", $"{Markup.Escape(l.Name ?? l.Id)} [grey]({Markup.Escape(l.Id)})[/]{(l.Url is { } u ? $"\n{Markup.Escape(u)}" : "")}");
            Row("  commercial use", Permission(l.CommercialUse));
            Row("  user cap", l.UserCapMonthlyActiveUsers is { } cap ? $"{cap / 1e6:N0}M monthly active users" : "[grey]none stated[/]");
            Row("  naming rule", Or(l.NamingRule));
            Row("  outputs train others", Permission(l.OutputsMayTrainOtherModels));
            Row("  acceptable use", Or(l.AcceptableUsePolicyUrl));
            Row("  source", Src(l.Source));
        }
        else Row("licence", "[grey]unknown[/]");
        if (c.Prices is { } p)
        {
            Row("price / 1M tokens", $"input {Price(p.InputPerMillion, p)}, output {Price(p.OutputPerMillion, p)}, cached input {Price(p.CachedInputPerMillion, p)} {p.Currency}");
            Row("  source", Src(p.Source));
        }
        else Row("price", "[grey]no API price listed[/]");
        if (c.Deployments.Count > 0)
            Row("deployments", Markup.Escape(string.Join("\n", c.Deployments.Select(d => $"{d.Provider}: {d.ModelName}"))));
        Row("origin", Markup.Escape(c.Origin));
        console.Write(new Panel(facts).Header($" {Markup.Escape(c.DisplayName)} ").Border(BoxBorder.None));

        var grades = new Table().Border(TableBorder.Rounded).AddColumns("openness dimension", "grade", "evidence");
        foreach (var (key, dim) in CardParser.DimensionNames)
        {
            var entry = c.Openness.GetValueOrDefault(dim, new OpennessEntry(OpennessGrade.Unknown, null));
            grades.AddRow(key.Replace('_', ' '), Grade(entry.Grade), entry.EvidenceUrl is { } e ? Markup.Escape(e) : "[grey]-[/]");
        }
        console.Write(grades);
        console.MarkupLine(c.OpennessScore is { } s
            ? $"openness score: [bold]{s:P0}[/] of {c.Openness.Values.Count(e => e.Grade != OpennessGrade.Unknown)} graded dimensions (open=1, partial=0.5, closed=0)"
            : "openness score: [grey]unknown (no dimension graded)[/]");
    }

    private static string Grade(OpennessGrade g) => g switch
    {
        OpennessGrade.Open => "[green]open[/]",
        OpennessGrade.Partial => "[yellow]partial[/]",
        OpennessGrade.Closed => "[red]closed[/]",
        _ => "[grey]unknown[/]",
    };

    private static string Billions(double n) => n >= 1e9 ? $"{n / 1e9:0.##}B" : n >= 1e6 ? $"{n / 1e6:0.##}M" : n.ToString("N0", CultureInfo.InvariantCulture);
}
