using ModelRace.Storage;
using ModelRace.Gateway.Usage;
using OpenAI.Chat;
using System.ClientModel;

namespace ModelRace.Gateway.Tests;

public sealed class CheapestPassingTests : IAsyncLifetime
{
    private readonly GatewayHarness _gateway = new();
    private FakeUpstream _cheap = null!, _mid = null!, _dear = null!;

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _cheap = await _gateway.UpstreamAsync("cheap");
        _mid = await _gateway.UpstreamAsync("mid");
        _dear = await _gateway.UpstreamAsync("dear");
        var store = SqliteStore.Open(_gateway.DatabasePath);
        // Older run: cheap passed. Newer run: cheap fails (0.5), mid passes (0.9), dear passes (1.0).
        Race(store, "run-old", "2026-01-01T00:00:00Z", ("cheap", [1, 1]));
        Race(store, "run-new", "2026-02-01T00:00:00Z", ("cheap", [1, 0]), ("mid", [1, 0.8]), ("dear", [1, 1]));
        Race(store, "run-other-suite", "2026-03-01T00:00:00Z", ("cheap", [1, 1]), suite: "other");
        await _gateway.StartAsync(
            GatewayHarness.Endpoint("cheap", _cheap, price: "{ input: 0.1, output: 0.2 }")
            + GatewayHarness.Endpoint("mid", _mid, price: "{ input: 1, output: 2 }")
            + GatewayHarness.Endpoint("dear", _dear, price: "{ input: 10, output: 20 }"), """
              - name: good-enough
                strategy: cheapest-passing
                suite: gsm8k
                min_score: 0.85
                targets: [dear/m, mid/m, cheap/m]
              - name: impossible
                strategy: cheapest-passing
                suite: gsm8k
                min_score: 1.5
                targets: [dear/m, mid/m, cheap/m]
            """, gatewaySection: "gateway:\n  usage_retention_days: 30\n");
    }

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    private static void Race(SqliteStore store, string runId, string createdAt, params (string Endpoint, double[] Scores)[] contestants) =>
        Race(store, runId, createdAt, contestants[0], "gsm8k", contestants[1..]);

    private static void Race(SqliteStore store, string runId, string createdAt, (string Endpoint, double[] Scores) first, string suite = "gsm8k", params (string Endpoint, double[] Scores)[] rest)
    {
        using var connection = store.OpenConnection();
        void Exec(string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
        Exec($"INSERT INTO runs VALUES ('{runId}', '{runId}', '{suite}', 'h', '{{}}', 'completed', '{createdAt}', '{createdAt}')");
        Exec($"INSERT INTO items (run_id, item_id, ordinal, scorer, prompt_json) VALUES ('{runId}', 'i0', 0, 'exact', '[]'), ('{runId}', 'i1', 1, 'exact', '[]')");
        foreach (var (endpoint, scores) in new[] { first }.Concat(rest))
        {
            Exec($"INSERT INTO run_contestants (run_id, contestant, endpoint, model) VALUES ('{runId}', '{endpoint}', '{endpoint}', 'm')");
            for (var i = 0; i < scores.Length; i++)
                Exec($"INSERT INTO responses (run_id, contestant, item_id, status, score, created_at) VALUES ('{runId}', '{endpoint}', 'i{i}', 'ok', {scores[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}, '{createdAt}')");
        }
    }

    [Fact]
    public async Task The_cheapest_target_whose_latest_score_passes_answers()
    {
        var answer = await _gateway.Client("good-enough").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        Assert.Equal("mid", answer.Value.Content[0].Text);
        Assert.Equal(0, _cheap.Requests);
    }

    [Fact]
    public async Task No_passing_target_is_a_clear_503()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => _gateway.Client("impossible").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        Assert.Equal(503, e.Status);
        Assert.Contains("suite 'gsm8k'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Retention_deletes_only_rows_older_than_the_cutoff()
    {
        var store = SqliteStore.Open(_gateway.DatabasePath);
        using (var connection = store.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                INSERT INTO gateway_usage (at, request_id, status_code) VALUES ('2020-01-01T00:00:00.0000000Z', 'old', 200),
                                                                            (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'new', 200)
                """;
            command.ExecuteNonQuery();
        }
        Assert.Equal(1, UsageWriter.DeleteOlderThan(store, DateTimeOffset.UtcNow.AddDays(-30)));
        Assert.Equal(0, _gateway.Scalar("SELECT COUNT(*) FROM gateway_usage WHERE request_id = 'old'"));
        Assert.Equal(1, _gateway.Scalar("SELECT COUNT(*) FROM gateway_usage WHERE request_id = 'new'"));
    }
}
