using System.Text.Json;
using ModelRace.Core.Race;

namespace ModelRace.Race.Results;

/// <summary>One contestant's items scored by log-likelihood: acc (the leaderboard's score) beside acc_norm.</summary>
public sealed record LogLikelihoodSummaryRow(string Contestant, int Items, double Acc, double AccNorm);

/// <summary>acc_norm lives in each response's details; this gathers it per contestant for a race run with log-likelihood scoring.</summary>
public static class LogLikelihoodSummary
{
    public static IReadOnlyList<LogLikelihoodSummaryRow> Build(IEnumerable<ResponseRecord> responses) =>
        responses
            .Where(r => r.Status == ResponseStatus.Ok && r.Score is not null)
            .Select(r => (r.Contestant, Acc: r.Score!.Value, AccNorm: AccNorm(r.DetailsJson)))
            .Where(r => r.AccNorm is not null)
            .GroupBy(r => r.Contestant, StringComparer.Ordinal)
            .Select(g => new LogLikelihoodSummaryRow(g.Key, g.Count(), g.Average(r => r.Acc), g.Average(r => r.AccNorm!.Value)))
            .OrderBy(row => row.Contestant, StringComparer.Ordinal)
            .ToList();

    private static double? AccNorm(string? detailsJson)
    {
        if (detailsJson is null) return null;
        using var details = JsonDocument.Parse(detailsJson);
        return details.RootElement.TryGetProperty("mode", out var mode) && mode.ValueEquals("loglikelihood")
            && details.RootElement.TryGetProperty("acc_norm", out var accNorm) ? accNorm.GetDouble() : null;
    }
}
