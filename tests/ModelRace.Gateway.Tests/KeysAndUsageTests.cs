using System.ClientModel;
using System.Text;
using ModelRace.Gateway.Keys;
using OpenAI.Chat;

namespace ModelRace.Gateway.Tests;

public sealed class KeysAndUsageTests : IAsyncLifetime
{
    private readonly GatewayHarness _gateway = new();
    private FakeUpstream _upstream = null!;
    private FakeUpstream _private = null!;

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _upstream = await _gateway.UpstreamAsync("ok");
        _private = await _gateway.UpstreamAsync("private ok");
        _upstream.PromptTokens = 1000;
        _upstream.CompletionTokens = 1000;
        // One call costs (1000 × 1 + 1000 × 2) / 1M = $0.003.
        await File.WriteAllTextAsync(_gateway.ConfigPath, "endpoints: []\n", Ct);
        _ = new KeyStore(Storage.SqliteStore.Open(_gateway.DatabasePath));
    }

    private Task StartAsync() => _gateway.StartAsync(
        GatewayHarness.Endpoint("fake", _upstream) + GatewayHarness.Endpoint("inhouse", _private, deployment: "private", price: "{ input: 0, output: 0 }"), """
          - name: chat
            targets: [fake/m]
          - name: other
            targets: [fake/m]
          - name: safe
            targets: [inhouse/m, fake/m]
        """, noAuth: false);

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task The_gateway_refuses_to_start_without_keys_unless_no_auth_is_explicit()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(StartAsync);
        Assert.Contains("--no-auth", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_need_a_valid_unrevoked_key_and_only_reach_allowed_routes()
    {
        var (key, secret) = _gateway.CreateKey(new NewKeyRequest("team-a", AllowedRoutes: ["chat"]));
        Assert.StartsWith("mr-", secret, StringComparison.Ordinal);
        await StartAsync();

        var ok = await _gateway.Client("chat", secret).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        Assert.Equal("ok", ok.Value.Content[0].Text);
        var forbidden = await Assert.ThrowsAsync<ClientResultException>(() => _gateway.Client("other", secret).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        Assert.Equal(403, forbidden.Status);
        var unknown = await Assert.ThrowsAsync<ClientResultException>(() => _gateway.Client("chat", "mr-not-a-key").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        Assert.Equal(401, unknown.Status);

        var stored = new KeyStore(Storage.SqliteStore.Open(_gateway.DatabasePath));
        Assert.DoesNotContain(stored.List(), k => k.Prefix.Length > 9);
        stored.Revoke(key.Id);
        await Task.Delay(TimeSpan.FromSeconds(5.5), Ct); // the key cache refreshes every 5 s
        var revoked = await Assert.ThrowsAsync<ClientResultException>(() => _gateway.Client("chat", secret).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        Assert.Equal(401, revoked.Status);
    }

    [Fact]
    public async Task A_key_whose_default_is_confidential_only_reaches_private_endpoints()
    {
        var (_, secret) = _gateway.CreateKey(new NewKeyRequest("legal", DefaultDataClass: DataClass.Confidential));
        await StartAsync();
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => _gateway.Client("chat", secret).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        Assert.Equal(403, refused.Status);
        var answer = await _gateway.Client("safe", secret).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        Assert.Equal("private ok", answer.Value.Content[0].Text);
        Assert.Equal(0, _upstream.Requests);
    }

    [Fact]
    public async Task A_daily_budget_holds_under_50_concurrent_requests()
    {
        // A call costs (10 × $1 + 1000 × $2) / 1M = $0.00201; its hold (16 prompt tokens estimated + max_tokens 1000) is
        // $0.002016, so $0.02 admits 9 calls whatever their interleaving, and the 10th would overspend.
        _upstream.PromptTokens = 10;
        var (_, secret) = _gateway.CreateKey(new NewKeyRequest("capped", BudgetPerDay: 0.02m));
        await StartAsync();
        var client = _gateway.Client("chat", secret);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 1000 };
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            try
            {
                await client.CompleteChatAsync([new UserChatMessage("hi")], options, Ct);
                return 200;
            }
            catch (ClientResultException e)
            {
                return e.Status;
            }
        }));
        Assert.All(results, status => Assert.True(status is 200 or 429, $"unexpected status {status}"));
        Assert.Contains(429, results);
        Assert.Equal(9, results.Count(s => s == 200));
        Assert.Equal(results.Count(s => s == 200), _upstream.Requests);
        await _gateway.Server!.DisposeAsync();
        var spentMicros = _gateway.Scalar("SELECT CAST(ROUND(SUM(cost) * 1000000) AS INTEGER) FROM gateway_usage WHERE status_code = 200");
        Assert.True(spentMicros <= 20_000, $"spent {spentMicros} µ$ of a 20000 µ$ budget");
    }

    [Fact]
    public async Task A_requests_per_minute_limit_gives_429_with_an_OpenAI_error_body()
    {
        var (_, secret) = _gateway.CreateKey(new NewKeyRequest("slow", RequestsPerMinute: 3));
        await StartAsync();
        for (var i = 0; i < 3; i++) await _gateway.Client("chat", secret).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_gateway.BaseAddress, "v1/chat/completions"))
        {
            Content = new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", secret);
        using var response = await _gateway.Http.SendAsync(request, Ct);
        Assert.Equal(429, (int)response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("\"type\":\"rate_limit_exceeded\"", body, StringComparison.Ordinal);
        Assert.Contains("3 requests per minute", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_burst_and_a_shutdown_every_request_is_in_the_usage_log()
    {
        var (key, secret) = _gateway.CreateKey(new NewKeyRequest("burst"));
        await StartAsync();
        var client = _gateway.Client("chat", secret);
        await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct)));
        await Assert.ThrowsAsync<ClientResultException>(() => _gateway.Client("nope", secret).CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        await _gateway.Server!.DisposeAsync();

        Assert.Equal(301, _gateway.Scalar("SELECT COUNT(*) FROM gateway_usage"));
        Assert.Equal(300, _gateway.Scalar($"SELECT COUNT(*) FROM gateway_usage WHERE key_id = '{key.Id}' AND status_code = 200 AND route = 'chat' AND endpoint = 'fake' AND input_tokens = 1000 AND cost > 0"));
        Assert.Equal(1, _gateway.Scalar("SELECT COUNT(*) FROM gateway_usage WHERE status_code = 404"));
    }
}
