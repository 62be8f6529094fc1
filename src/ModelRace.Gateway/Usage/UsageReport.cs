using ModelRace.Storage;

namespace ModelRace.Gateway.Usage;

public enum UsageGrouping { Key, Route, Endpoint, Day }

/// <summary>One line of `modelrace usage`; Cost adds up, over all lines, to the total cost in gateway_usage.</summary>
public sealed record UsageLine(string Group, long Requests, long Errors, long InputTokens, long OutputTokens, decimal Cost, double? MeanLatencyMs);

/// <summary>Sums gateway_usage by key, route, endpoint or UTC day.</summary>
public static class UsageReport
{
    public static IReadOnlyList<UsageLine> Query(SqliteStore store, UsageGrouping by, DateTimeOffset? since = null)
    {
        var column = by switch
        {
            UsageGrouping.Key => "COALESCE(k.name || ' (' || u.key_id || ')', u.key_id, '(no key)')",
            UsageGrouping.Route => "COALESCE(u.route, '(none)')",
            UsageGrouping.Endpoint => "COALESCE(u.endpoint || '/' || u.model, '(not sent)')",
            _ => "substr(u.at, 1, 10)",
        };
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {column} AS grp, COUNT(*), SUM(CASE WHEN u.status_code >= 400 THEN 1 ELSE 0 END),
                   COALESCE(SUM(u.input_tokens), 0), COALESCE(SUM(u.output_tokens), 0), COALESCE(SUM(u.cost), 0), AVG(u.latency_ms)
            FROM gateway_usage u LEFT JOIN gateway_keys k ON k.id = u.key_id
            WHERE u.at >= $since
            GROUP BY grp ORDER BY grp
            """;
        command.Parameters.AddWithValue("$since", (since ?? DateTimeOffset.MinValue).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        using var reader = command.ExecuteReader();
        var lines = new List<UsageLine>();
        while (reader.Read())
        {
            lines.Add(new UsageLine(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
                (decimal)reader.GetDouble(5), reader.IsDBNull(6) ? null : reader.GetDouble(6)));
        }
        return lines;
    }
}
