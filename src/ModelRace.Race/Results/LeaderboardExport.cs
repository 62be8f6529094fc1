using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ModelRace.Core.Race;

namespace ModelRace.Race.Results;

/// <summary>Leaderboard as Markdown, CSV, JSON, or a self-contained HTML page with an inline SVG quality-vs-cost plot.</summary>
public static class LeaderboardExport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string[] Header => ["rank", "model", "open", "score", "ci_low", "ci_high", "items", "errors", "mean_latency_ms", "p95_latency_ms", "output_tokens_per_s", "total_cost", "currency", "cost_per_correct"];

    private static string[] Cells(LeaderboardRow r) =>
    [
        r.Rank.ToString(Inv), r.Model, r.OpenWeights ? "open" : "closed", Num(r.Score, "0.0000"), Num(r.Ci.Low, "0.0000"), Num(r.Ci.High, "0.0000"),
        r.Items.ToString(Inv), r.Errors.ToString(Inv), Num(r.MeanLatencyMs, "0.0"), Num(r.P95LatencyMs, "0.0"), Num(r.OutputTokensPerSecond, "0.0"),
        r.TotalCost?.ToString("0.######", Inv) ?? "", r.Currency ?? "", r.CostPerCorrect?.ToString("0.######", Inv) ?? "",
    ];

    private static string Num(double? value, string format) => value is { } v && !double.IsNaN(v) ? v.ToString(format, Inv) : "";

    public static string ScoreText(LeaderboardRow r) =>
        double.IsNaN(r.Score) ? "n/a" : $"{r.Score * 100:0.0}% ± {(r.Ci.High - r.Ci.Low) * 50:0.0}";

    public static string ToMarkdown(IReadOnlyList<LeaderboardRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| rank | model | open/closed | score (95% CI) | items | errors | mean latency ms | p95 latency ms | output tok/s | total cost | cost per correct |");
        sb.AppendLine("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var c = Cells(r);
            sb.AppendLine(Inv, $"| {c[0]} | {c[1].Replace("|", "\\|", StringComparison.Ordinal)} | {c[2]} | {ScoreText(r)} [{c[4]}, {c[5]}] | {c[6]} | {c[7]} | {c[8]} | {c[9]} | {c[10]} | {Money(r.TotalCost, r.Currency)} | {Money(r.CostPerCorrect, r.Currency)} |");
        }
        return sb.ToString();
    }

    public static string Money(decimal? value, string? currency) => value is { } v ? $"{v.ToString("0.######", Inv)} {currency ?? ""}".TrimEnd() : "n/a";

    public static string ToCsv(IReadOnlyList<LeaderboardRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(',', Header));
        foreach (var r in rows) sb.AppendLine(string.Join(',', Cells(r).Select(CsvField)));
        return sb.ToString();
    }

    private static string CsvField(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{s.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : s;

    public static string ToJson(RunRecord run, IReadOnlyList<LeaderboardRow> rows) => JsonSerializer.Serialize(new
    {
        run = new { run.Id, suite = run.SuiteName, status = run.Status.ToString().ToLowerInvariant(), items = run.ItemCount, created_at = run.CreatedAt },
        leaderboard = rows.Select(r => new
        {
            rank = r.Rank, model = r.Model, endpoint = r.Endpoint, card_id = r.CardId, open_weights = r.OpenWeights,
            score = double.IsNaN(r.Score) ? (double?)null : r.Score, ci_low = NullIfNaN(r.Ci.Low), ci_high = NullIfNaN(r.Ci.High),
            items = r.Items, errors = r.Errors, missing = r.Missing, mean_latency_ms = r.MeanLatencyMs, p95_latency_ms = r.P95LatencyMs,
            mean_ttft_ms = r.MeanTtftMs, output_tokens_per_s = r.OutputTokensPerSecond, input_tokens = r.InputTokens, output_tokens = r.OutputTokens,
            reasoning_tokens = r.ReasoningTokens, total_cost = r.TotalCost, currency = r.Currency, cost_per_correct = r.CostPerCorrect,
            categories = r.Categories.Select(c => new { category = c.Category, items = c.Items, accuracy = c.Accuracy, ci_low = NullIfNaN(c.Ci.Low), ci_high = NullIfNaN(c.Ci.High) }),
        }),
    }, new JsonSerializerOptions { WriteIndented = true });

    private static double? NullIfNaN(double v) => double.IsNaN(v) ? null : v;

    public static string ToHtml(RunRecord run, IReadOnlyList<LeaderboardRow> rows)
    {
        static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ModelRace: " + E(run.SuiteName) + "</title>");
        sb.AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:nth-child(2),th:nth-child(2){text-align:left}th{background:#f3f3f3}.open{color:#0a7d32}.closed{color:#a33}svg text{font-size:11px}</style></head><body>");
        sb.AppendLine(Inv, $"<h1>ModelRace — {E(run.SuiteName)}</h1><p>Run <code>{E(run.Id)}</code>, {run.ItemCount} items, status {E(run.Status.ToString().ToLowerInvariant())}, started {run.CreatedAt:yyyy-MM-dd HH:mm} UTC. Scores are means with 95% bootstrap intervals; errored items are counted apart and not scored.</p>");
        sb.AppendLine("<table><tr><th>rank</th><th>model</th><th>open/closed</th><th>score</th><th>95% CI</th><th>items</th><th>errors</th><th>mean latency ms</th><th>p95 latency ms</th><th>output tok/s</th><th>total cost</th><th>cost per correct</th></tr>");
        foreach (var r in rows)
        {
            var c = Cells(r);
            sb.AppendLine(Inv, $"<tr><td>{c[0]}</td><td>{E(r.Model)}</td><td class=\"{c[2]}\">{c[2]}</td><td>{E(Num(r.Score * 100, "0.0"))}%</td><td>[{c[4]}, {c[5]}]</td><td>{c[6]}</td><td>{c[7]}</td><td>{c[8]}</td><td>{c[9]}</td><td>{c[10]}</td><td>{E(Money(r.TotalCost, r.Currency))}</td><td>{E(Money(r.CostPerCorrect, r.Currency))}</td></tr>");
        }
        sb.AppendLine("</table><h2>Quality vs cost</h2>");
        sb.AppendLine(ScatterSvg(rows));
        var categories = rows.SelectMany(r => r.Categories.Select(c => c.Category)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (categories.Count > 1)
        {
            sb.AppendLine("<h2>By category</h2><table><tr><th>category</th>" + string.Concat(rows.Select(r => $"<th>{E(r.Model)}</th>")) + "</tr>");
            foreach (var category in categories)
                sb.AppendLine($"<tr><td>{E(category)}</td>" + string.Concat(rows.Select(r =>
                    r.Categories.FirstOrDefault(c => c.Category == category) is { } s ? $"<td>{(s.Accuracy * 100).ToString("0.0", Inv)}% ({s.Items})</td>" : "<td></td>")) + "</tr>");
            sb.AppendLine("</table>");
        }
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    /// <summary>Score (y, with CI bars) against total cost (x); models without a known cost sit on a "no price" strip at x = 0.</summary>
    public static string ScatterSvg(IReadOnlyList<LeaderboardRow> rows)
    {
        const double Width = 640, Height = 400, Left = 60, Right = 20, Top = 20, Bottom = 50;
        var maxCost = (double)(rows.Max(r => r.TotalCost) ?? 0m);
        if (maxCost <= 0) maxCost = 1;
        double X(decimal? cost) => Left + (double)(cost ?? 0) / maxCost * (Width - Left - Right);
        double Y(double score) => Top + (1 - score) * (Height - Top - Bottom);
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"quality versus cost\">");
        sb.AppendLine(Inv, $"<line x1=\"{Left}\" y1=\"{Y(0)}\" x2=\"{Width - Right}\" y2=\"{Y(0)}\" stroke=\"#444\"/><line x1=\"{Left}\" y1=\"{Y(0)}\" x2=\"{Left}\" y2=\"{Y(1)}\" stroke=\"#444\"/>");
        for (var tick = 0; tick <= 4; tick++)
        {
            var s = tick / 4.0;
            sb.AppendLine(Inv, $"<text x=\"{Left - 8}\" y=\"{Y(s) + 4:0.0}\" text-anchor=\"end\">{s * 100:0}%</text>");
            var cost = (decimal)(maxCost * tick / 4);
            sb.AppendLine(Inv, $"<text x=\"{X(cost):0.0}\" y=\"{Y(0) + 16:0.0}\" text-anchor=\"middle\">{cost:0.####}</text>");
        }
        var currency = rows.Select(r => r.Currency).FirstOrDefault(c => c is not null) ?? "";
        sb.AppendLine(Inv, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">total cost {WebUtility.HtmlEncode(currency)}</text>");
        sb.AppendLine(Inv, $"<text x=\"14\" y=\"{(Top + Height - Bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {(Top + Height - Bottom) / 2})\">score</text>");
        foreach (var r in rows.Where(r => !double.IsNaN(r.Score)))
        {
            var x = X(r.TotalCost);
            var colour = r.OpenWeights ? "#0a7d32" : "#a33";
            if (!double.IsNaN(r.Ci.Low))
                sb.AppendLine(Inv, $"<line class=\"ci\" x1=\"{x:0.0}\" y1=\"{Y(r.Ci.Low):0.0}\" x2=\"{x:0.0}\" y2=\"{Y(r.Ci.High):0.0}\" stroke=\"{colour}\" stroke-width=\"2\" opacity=\"0.5\"/>");
            sb.AppendLine(Inv, $"<circle class=\"model\" cx=\"{x:0.0}\" cy=\"{Y(r.Score):0.0}\" r=\"5\" fill=\"{colour}\"><title>{WebUtility.HtmlEncode(r.Model)}: {r.Score * 100:0.0}%, {WebUtility.HtmlEncode(Money(r.TotalCost, r.Currency))}</title></circle>");
            sb.AppendLine(Inv, $"<text x=\"{x + 8:0.0}\" y=\"{Y(r.Score) - 6:0.0}\">{WebUtility.HtmlEncode(r.Model)}{(r.TotalCost is null ? " (no price)" : "")}</text>");
        }
        sb.AppendLine("</svg>");
        return sb.ToString();
    }
}
