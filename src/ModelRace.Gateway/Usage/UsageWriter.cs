using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using ModelRace.Storage;

namespace ModelRace.Gateway.Usage;

/// <summary>
/// Writes usage rows off the request path: requests drop a record into an unbounded channel and one background loop
/// inserts them in batches, one transaction each. Unbounded on purpose: a row is never dropped; a failed batch is
/// retried; DisposeAsync drains everything still queued before it returns, so a clean shutdown loses nothing.
/// </summary>
public sealed class UsageWriter : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private readonly SqliteStore _store;
    private readonly ILogger _logger;
    private readonly Channel<UsageRecord> _channel = Channel.CreateUnbounded<UsageRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private readonly Func<int?> _retentionDays;
    private DateTimeOffset _lastRetention = DateTimeOffset.MinValue;
    private long _written;

    public UsageWriter(SqliteStore store, ILogger logger, Func<int?> retentionDays)
    {
        _store = store;
        _logger = logger;
        _retentionDays = retentionDays;
        _loop = Task.Run(RunAsync);
    }

    public long Written => Interlocked.Read(ref _written);

    public void Record(UsageRecord record)
    {
        if (!_channel.Writer.TryWrite(record))
            throw new InvalidOperationException("the usage log is closed (the gateway is shutting down)");
    }

    private async Task RunAsync()
    {
        var batch = new List<UsageRecord>(MaxBatch);
        while (await _channel.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _channel.Reader.TryRead(out var record)) batch.Add(record);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    Insert(batch);
                    Interlocked.Add(ref _written, batch.Count);
                    break;
                }
                catch (SqliteException e) when (attempt < 10)
                {
                    _logger.LogWarning("usage log: writing {Count} rows failed ({Message}); retrying", batch.Count, e.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt));
                }
                catch (SqliteException e)
                {
                    _logger.LogError("usage log: {Count} rows could not be written after 10 attempts: {Message}", batch.Count, e.Message);
                    break;
                }
            }
            batch.Clear();
            ApplyRetention();
        }
    }

    private void Insert(List<UsageRecord> batch)
    {
        using var connection = _store.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO gateway_usage (at, request_id, key_id, route, endpoint, model, fallback_attempts, input_tokens, output_tokens,
                                       cached_tokens, cost, currency, latency_ms, status_code, data_class, error)
            VALUES ($at, $rid, $key, $route, $endpoint, $model, $fallback, $in, $out, $cached, $cost, $currency, $latency, $status, $class, $error)
            """;
        var names = new[] { "$at", "$rid", "$key", "$route", "$endpoint", "$model", "$fallback", "$in", "$out", "$cached", "$cost", "$currency", "$latency", "$status", "$class", "$error" };
        var parameters = names.Select(n => command.Parameters.Add(n, SqliteType.Text)).ToArray();
        command.Prepare();
        foreach (var r in batch)
        {
            object?[] values = [r.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture), r.RequestId, r.KeyId, r.Route, r.Endpoint, r.Model,
                r.FallbackAttempts, r.InputTokens, r.OutputTokens, r.CachedTokens, r.Cost is { } c ? (double)c : null, r.Currency, r.LatencyMs, r.StatusCode, r.DataClass, r.Error];
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].SqliteType = values[i] switch { int or long => SqliteType.Integer, double => SqliteType.Real, _ => SqliteType.Text };
                parameters[i].Value = values[i] ?? DBNull.Value;
            }
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    private void ApplyRetention()
    {
        if (_retentionDays() is not { } days || DateTimeOffset.UtcNow - _lastRetention < TimeSpan.FromHours(1)) return;
        _lastRetention = DateTimeOffset.UtcNow;
        var deleted = DeleteOlderThan(_store, DateTimeOffset.UtcNow.AddDays(-days));
        var keptDays = days;
        if (deleted > 0 && _logger.IsEnabled(LogLevel.Information)) _logger.LogInformation("usage log: deleted {Count} rows older than {Days} days (usage_retention_days)", deleted, keptDays);
    }

    public static int DeleteOlderThan(SqliteStore store, DateTimeOffset cutoff)
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM gateway_usage WHERE at < $cutoff";
        command.Parameters.AddWithValue("$cutoff", cutoff.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        return command.ExecuteNonQuery();
    }

    /// <summary>What a key has spent today and this month (UTC), to seed its budget after a restart.</summary>
    public static (decimal Day, decimal Month) SpentBy(SqliteStore store, string keyId, DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COALESCE(SUM(CASE WHEN at >= $day THEN cost END), 0), COALESCE(SUM(cost), 0)
            FROM gateway_usage WHERE key_id = $key AND at >= $month
            """;
        command.Parameters.AddWithValue("$key", keyId);
        command.Parameters.AddWithValue("$day", utc.Date.ToString("yyyy-MM-dd'T'00:00:00", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$month", new DateTime(utc.Year, utc.Month, 1, 0, 0, 0, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'00:00:00", CultureInfo.InvariantCulture));
        using var reader = command.ExecuteReader();
        reader.Read();
        return ((decimal)reader.GetDouble(0), (decimal)reader.GetDouble(1));
    }

    /// <summary>Stops taking records and writes every queued one before returning.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _loop;
    }
}
