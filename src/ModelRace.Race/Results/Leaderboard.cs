using ModelRace.Core.Race;

namespace ModelRace.Race.Results;

public sealed record CategoryScore(string Category, int Items, double Accuracy, Interval Ci);

public sealed record LeaderboardRow
{
    public int Rank { get; init; }
    public required string Model { get; init; }
    public required string Endpoint { get; init; }
    public string? CardId { get; init; }
    public bool OpenWeights { get; init; }
    public double Score { get; init; }
    public required Interval Ci { get; init; }
    /// <summary>Items answered without error (the ones that are scored).</summary>
    public int Items { get; init; }
    public int Errors { get; init; }
    /// <summary>Items not yet answered (interrupted run).</summary>
    public int Missing { get; init; }
    public double Correct { get; init; }
    public double? MeanLatencyMs { get; init; }
    public double? P95LatencyMs { get; init; }
    public double? MeanTtftMs { get; init; }
    public double? OutputTokensPerSecond { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public decimal? TotalCost { get; init; }
    public string? Currency { get; init; }
    public decimal? CostPerCorrect { get; init; }
    public IReadOnlyList<CategoryScore> Categories { get; init; } = [];
}

/// <summary>Turns stored responses into ranked rows.</summary>
public static class Leaderboard
{
    public static readonly IReadOnlyList<string> SortColumns =
        ["rank", "model", "open", "score", "items", "errors", "latency", "p95", "tps", "cost", "cost-per-correct"];

    public static IReadOnlyList<LeaderboardRow> Build(RunRecord run, IReadOnlyList<SuiteItem> items, IReadOnlyList<ResponseRecord> responses, int seed = Statistics.DefaultSeed)
    {
        var categoryOf = items.ToDictionary(i => i.Id, i => i.Category ?? "uncategorised");
        var rows = new List<LeaderboardRow>();
        foreach (var contestant in run.Contestants)
        {
            var mine = responses.Where(r => r.Contestant == contestant.Name).ToList();
            var ok = mine.Where(r => r.Status == ResponseStatus.Ok && r.Score is not null).ToList();
            var scores = ok.Select(r => r.Score!.Value).ToList();
            var latencies = mine.Where(r => r.Status == ResponseStatus.Ok && r.LatencyMs is not null).Select(r => r.LatencyMs!.Value).Order().ToList();
            var costs = mine.Where(r => r.Cost is not null).ToList();
            var totalCost = costs.Count > 0 ? costs.Sum(r => r.Cost!.Value) : (decimal?)null;
            var correct = scores.Sum();
            var outputTokens = ok.Sum(r => r.OutputTokens ?? 0);
            var seconds = latencies.Sum() / 1000.0;
            rows.Add(new LeaderboardRow
            {
                Model = contestant.Name, Endpoint = contestant.Endpoint, CardId = contestant.CardId, OpenWeights = contestant.OpenWeights,
                Score = scores.Count > 0 ? scores.Average() : double.NaN,
                Ci = Statistics.BootstrapMeanCi(scores, seed),
                Items = ok.Count, Errors = mine.Count(r => r.Status == ResponseStatus.Error), Missing = items.Count - mine.Count,
                Correct = correct,
                MeanLatencyMs = latencies.Count > 0 ? latencies.Average() : null,
                P95LatencyMs = latencies.Count > 0 ? Statistics.Percentile(latencies, 0.95) : null,
                MeanTtftMs = ok.Any(r => r.TtftMs is not null) ? ok.Where(r => r.TtftMs is not null).Average(r => r.TtftMs!.Value) : null,
                OutputTokensPerSecond = seconds > 0 && outputTokens > 0 ? outputTokens / seconds : null,
                InputTokens = mine.Sum(r => r.InputTokens ?? 0), OutputTokens = outputTokens, ReasoningTokens = mine.Sum(r => r.ReasoningTokens ?? 0),
                TotalCost = totalCost, Currency = contestant.Prices?.Currency ?? costs.Select(r => r.Currency).FirstOrDefault(c => c is not null),
                CostPerCorrect = totalCost is { } t && correct > 0 ? t / (decimal)correct : null,
                Categories = ok.GroupBy(r => categoryOf.GetValueOrDefault(r.ItemId, "uncategorised")).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new CategoryScore(g.Key, g.Count(), g.Average(r => r.Score!.Value), Statistics.BootstrapMeanCi(g.Select(r => r.Score!.Value).ToList(), seed)))
                    .ToList(),
            });
        }
        var ranked = rows.OrderByDescending(r => double.IsNaN(r.Score) ? -1 : r.Score).ThenBy(r => r.TotalCost ?? decimal.MaxValue).ThenBy(r => r.Model, StringComparer.Ordinal).ToList();
        return ranked.Select((r, i) => r with { Rank = i + 1 }).ToList();
    }

    /// <summary>Sorts by a column of <see cref="SortColumns"/>; scores high-first, latency and cost low-first, unknowns last.</summary>
    public static IReadOnlyList<LeaderboardRow> Sort(IReadOnlyList<LeaderboardRow> rows, string column)
    {
        const double Last = double.MaxValue;
        return column.ToLowerInvariant() switch
        {
            "rank" => rows.OrderBy(r => r.Rank).ToList(),
            "model" => rows.OrderBy(r => r.Model, StringComparer.OrdinalIgnoreCase).ToList(),
            "open" => rows.OrderByDescending(r => r.OpenWeights).ThenBy(r => r.Rank).ToList(),
            "score" => rows.OrderByDescending(r => double.IsNaN(r.Score) ? -1 : r.Score).ToList(),
            "items" => rows.OrderByDescending(r => r.Items).ToList(),
            "errors" => rows.OrderBy(r => r.Errors).ToList(),
            "latency" => rows.OrderBy(r => r.MeanLatencyMs ?? Last).ToList(),
            "p95" => rows.OrderBy(r => r.P95LatencyMs ?? Last).ToList(),
            "tps" => rows.OrderByDescending(r => r.OutputTokensPerSecond ?? -1).ToList(),
            "cost" => rows.OrderBy(r => r.TotalCost ?? decimal.MaxValue).ToList(),
            "cost-per-correct" => rows.OrderBy(r => r.CostPerCorrect ?? decimal.MaxValue).ToList(),
            _ => throw new ArgumentException($"unknown sort column '{column}'; use one of {string.Join(", ", SortColumns)}", nameof(column)),
        };
    }
}
