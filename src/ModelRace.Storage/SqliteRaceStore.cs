using ModelRace.Core.Endpoints;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ModelRace.Core.Race;

namespace ModelRace.Storage;

/// <summary>Races in the ModelRace database (tables runs, run_contestants, items, responses of migration 0001).</summary>
public sealed class SqliteRaceStore(SqliteStore store, TimeProvider? time = null) : IRaceStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<(RunRecord Run, bool Resumed)> CreateOrResumeRunAsync(RunSpec spec, CancellationToken cancellationToken)
    {
        await using var connection = store.OpenConnection();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var existingId = (string?)await ScalarAsync(connection, transaction, "SELECT id FROM runs WHERE resume_key = $k", cancellationToken, ("$k", spec.ResumeKey));
        if (existingId is not null)
        {
            await transaction.CommitAsync(cancellationToken);
            return ((await FindRunAsync(existingId, cancellationToken))!, true);
        }
        var id = Guid.NewGuid().ToString("N");
        await ExecuteAsync(connection, transaction,
            "INSERT INTO runs (id, resume_key, suite, suite_hash, options_json, status, created_at) VALUES ($id, $k, $s, $h, $o, 'running', $t)",
            cancellationToken, ("$id", id), ("$k", spec.ResumeKey), ("$s", spec.SuiteName), ("$h", spec.SuiteHash), ("$o", spec.OptionsJson), ("$t", Now()));
        foreach (var c in spec.Contestants)
            await ExecuteAsync(connection, transaction,
                "INSERT INTO run_contestants (run_id, contestant, endpoint, model, card_id, open_weights, deployment) VALUES ($r, $n, $e, $m, $c, $o, $d)",
                cancellationToken, ("$r", id), ("$n", c.Name), ("$e", c.Endpoint), ("$m", c.Model), ("$c", c.CardId), ("$o", c.OpenWeights ? 1 : 0),
                ("$d", c.Deployment == DeploymentClass.Private ? "private" : "external"));
        var ordinal = 0;
        foreach (var item in spec.Items)
            await ExecuteAsync(connection, transaction,
                "INSERT INTO items (run_id, item_id, ordinal, category, scorer, prompt_json, reference_json) VALUES ($r, $i, $o, $c, $s, $p, $a)",
                cancellationToken, ("$r", id), ("$i", item.Id), ("$o", ordinal++), ("$c", item.Category), ("$s", item.Scorer),
                ("$p", JsonSerializer.Serialize(item.Messages.Select(m => new[] { m.Role, m.Content }))),
                ("$a", JsonSerializer.Serialize(new StoredReference(item.Answers, item.Choices, item.ScorerOptionsJson))));
        await transaction.CommitAsync(cancellationToken);
        return ((await FindRunAsync(id, cancellationToken))!, false);
    }

    private sealed record StoredReference(IReadOnlyList<string> Answers, IReadOnlyList<string> Choices, string? Options);

    public async Task SaveResponseAsync(ResponseRecord response, CancellationToken cancellationToken)
    {
        var r = response;
        await using var connection = store.OpenConnection();
        await ExecuteAsync(connection, null, """
            INSERT OR REPLACE INTO responses (run_id, contestant, item_id, status, response_text, score, input_tokens, output_tokens, cached_tokens,
                reasoning_tokens, latency_ms, ttft_ms, cost, currency, error, details_json, created_at)
            VALUES ($run, $c, $i, $st, $txt, $sc, $in, $out, $cached, $reason, $lat, $ttft, $cost, $cur, $err, $det, $at)
            """, cancellationToken,
            ("$run", r.RunId), ("$c", r.Contestant), ("$i", r.ItemId), ("$st", r.Status == ResponseStatus.Ok ? "ok" : "error"), ("$txt", r.ResponseText),
            ("$sc", r.Score), ("$in", r.InputTokens), ("$out", r.OutputTokens), ("$cached", r.CachedTokens), ("$reason", r.ReasoningTokens),
            ("$lat", r.LatencyMs), ("$ttft", r.TtftMs), ("$cost", r.Cost is { } cost ? (double)cost : null), ("$cur", r.Currency), ("$err", r.Error),
            ("$det", r.DetailsJson), ("$at", r.CreatedAt == default ? Now() : r.CreatedAt.ToString("O", CultureInfo.InvariantCulture)));
    }

    public async Task<int> DeleteErrorsAsync(string runId, CancellationToken cancellationToken)
    {
        await using var connection = store.OpenConnection();
        return await ExecuteAsync(connection, null, "DELETE FROM responses WHERE run_id = $r AND status = 'error'", cancellationToken, ("$r", runId));
    }

    public async Task SetStatusAsync(string runId, RunStatus status, CancellationToken cancellationToken)
    {
        await using var connection = store.OpenConnection();
        var changed = await ExecuteAsync(connection, null, "UPDATE runs SET status = $s, finished_at = $f WHERE id = $r", cancellationToken,
            ("$s", status.ToString().ToLowerInvariant()), ("$f", status == RunStatus.Running ? null : Now()), ("$r", runId));
        if (changed == 0) throw new StoreException($"no run with id {runId}");
    }

    public async Task<IReadOnlyList<RunRecord>> ListRunsAsync(CancellationToken cancellationToken) =>
        await QueryRunsAsync("ORDER BY created_at DESC, id", cancellationToken);

    public async Task<RunRecord?> FindRunAsync(string idOrPrefix, CancellationToken cancellationToken)
    {
        var escaped = idOrPrefix.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
        var runs = await QueryRunsAsync("WHERE id LIKE $p ESCAPE '\\' ORDER BY id LIMIT 2", cancellationToken, ("$p", escaped + "%"));
        return runs.Count == 1 ? runs[0] : null;
    }

    private async Task<List<RunRecord>> QueryRunsAsync(string tail, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = store.OpenConnection();
        var runs = new List<RunRecord>();
        await using (var command = Command(connection, null,
            $"SELECT id, resume_key, suite, suite_hash, options_json, status, created_at, finished_at, (SELECT count(*) FROM items i WHERE i.run_id = runs.id) FROM runs {tail}", parameters))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                runs.Add(new RunRecord
                {
                    Id = reader.GetString(0), ResumeKey = reader.GetString(1), SuiteName = reader.GetString(2), SuiteHash = reader.GetString(3),
                    OptionsJson = reader.GetString(4), Status = Enum.Parse<RunStatus>(reader.GetString(5), ignoreCase: true),
                    CreatedAt = DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture),
                    FinishedAt = reader.IsDBNull(7) ? null : DateTimeOffset.Parse(reader.GetString(7), CultureInfo.InvariantCulture),
                    ItemCount = reader.GetInt32(8),
                });
        }
        for (var i = 0; i < runs.Count; i++) runs[i] = runs[i] with { Contestants = await LoadContestantsAsync(connection, runs[i].Id, cancellationToken) };
        return runs;
    }

    private static async Task<IReadOnlyList<ContestantInfo>> LoadContestantsAsync(SqliteConnection connection, string runId, CancellationToken cancellationToken)
    {
        var list = new List<ContestantInfo>();
        await using var command = Command(connection, null,
            "SELECT contestant, endpoint, model, card_id, open_weights, deployment FROM run_contestants WHERE run_id = $r ORDER BY rowid", [("$r", runId)]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            list.Add(new ContestantInfo
            {
                Name = reader.GetString(0), Endpoint = reader.GetString(1), Model = reader.GetString(2), CardId = reader.IsDBNull(3) ? null : reader.GetString(3),
                OpenWeights = reader.GetInt64(4) != 0, Deployment = reader.GetString(5) == "private" ? DeploymentClass.Private : DeploymentClass.External,
            });
        return list;
    }

    public async Task<IReadOnlyList<SuiteItem>> LoadItemsAsync(string runId, CancellationToken cancellationToken)
    {
        await using var connection = store.OpenConnection();
        await using var command = Command(connection, null,
            "SELECT item_id, category, scorer, prompt_json, reference_json FROM items WHERE run_id = $r ORDER BY ordinal", [("$r", runId)]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<SuiteItem>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var messages = JsonSerializer.Deserialize<string[][]>(reader.GetString(3))!;
            var reference = reader.IsDBNull(4) ? null : JsonSerializer.Deserialize<StoredReference>(reader.GetString(4));
            items.Add(new SuiteItem
            {
                Id = reader.GetString(0), Category = reader.IsDBNull(1) ? null : reader.GetString(1), Scorer = reader.GetString(2),
                Messages = messages.Select(m => new ChatTurn(m[0], m[1])).ToList(),
                Answers = reference?.Answers ?? [], Choices = reference?.Choices ?? [], ScorerOptionsJson = reference?.Options,
            });
        }
        return items;
    }

    public async Task<IReadOnlyList<ResponseRecord>> LoadResponsesAsync(string runId, CancellationToken cancellationToken)
    {
        await using var connection = store.OpenConnection();
        await using var command = Command(connection, null, """
            SELECT contestant, item_id, status, response_text, score, input_tokens, output_tokens, cached_tokens, reasoning_tokens,
                   latency_ms, ttft_ms, cost, currency, error, details_json, created_at
            FROM responses WHERE run_id = $r ORDER BY contestant, item_id
            """, [("$r", runId)]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<ResponseRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Str(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            long? Long(int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i);
            double? Dbl(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
            list.Add(new ResponseRecord
            {
                RunId = runId, Contestant = reader.GetString(0), ItemId = reader.GetString(1),
                Status = reader.GetString(2) == "ok" ? ResponseStatus.Ok : ResponseStatus.Error, ResponseText = Str(3), Score = Dbl(4),
                InputTokens = Long(5), OutputTokens = Long(6), CachedTokens = Long(7), ReasoningTokens = Long(8), LatencyMs = Dbl(9), TtftMs = Dbl(10),
                Cost = Dbl(11) is { } c ? (decimal)c : null, Currency = Str(12), Error = Str(13), DetailsJson = Str(14),
                CreatedAt = DateTimeOffset.Parse(reader.GetString(15), CultureInfo.InvariantCulture),
            });
        }
        return list;
    }

    private string Now() => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
