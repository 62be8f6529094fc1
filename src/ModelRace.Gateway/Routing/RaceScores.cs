using Microsoft.Data.Sqlite;
using ModelRace.Storage;

namespace ModelRace.Gateway.Routing;

/// <summary>The latest race score of an endpoint/model on a suite, for `cheapest-passing` routes.</summary>
public interface IRaceScores
{
    /// <summary>Mean score (errors count as 0) of the most recent completed run of the suite that raced this endpoint/model; null if none.</summary>
    double? LatestScore(string suite, string endpoint, string model);
}

/// <summary>Reads scores from the race tables (runs, run_contestants, responses), cached briefly so that routing stays cheap.</summary>
public sealed class SqliteRaceScores(SqliteStore store, TimeSpan? cacheFor = null) : IRaceScores
{
    private readonly TimeSpan _cacheFor = cacheFor ?? TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTimeOffset At, Dictionary<string, double> Scores)> _bySuite = new(StringComparer.Ordinal);

    public double? LatestScore(string suite, string endpoint, string model)
    {
        Dictionary<string, double> scores;
        lock (_lock)
        {
            if (!_bySuite.TryGetValue(suite, out var entry) || DateTimeOffset.UtcNow - entry.At > _cacheFor)
                _bySuite[suite] = entry = (DateTimeOffset.UtcNow, Load(suite));
            scores = entry.Scores;
        }
        return scores.TryGetValue($"{endpoint}/{model}", out var score) ? score : null;
    }

    private Dictionary<string, double> Load(string suite)
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT rc.endpoint, rc.model, SUM(COALESCE(r.score, 0)) / COUNT(*) AS score
            FROM runs ru
            JOIN run_contestants rc ON rc.run_id = ru.id
            JOIN responses r ON r.run_id = ru.id AND r.contestant = rc.contestant
            WHERE ru.suite = $suite AND ru.status = 'completed'
            GROUP BY ru.id, rc.contestant
            ORDER BY ru.created_at DESC
            """;
        command.Parameters.AddWithValue("$suite", suite);
        var scores = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
            scores.TryAdd($"{reader.GetString(0)}/{reader.GetString(1)}", reader.GetDouble(2)); // newest run first wins
        return scores;
    }
}
