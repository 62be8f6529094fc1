using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using OpenAI.Chat;

namespace ModelRace.Gateway.Tests;

public sealed class RoutingTests : IAsyncLifetime
{
    private readonly GatewayHarness _gateway = new();
    private FakeUpstream _first = null!, _second = null!, _private = null!;

    public async ValueTask InitializeAsync()
    {
        _first = await _gateway.UpstreamAsync("answer from first");
        _second = await _gateway.UpstreamAsync("answer from second");
        _private = await _gateway.UpstreamAsync("answer from private");
        await _gateway.StartAsync(
            GatewayHarness.Endpoint("first", _first) + GatewayHarness.Endpoint("second", _second)
            + GatewayHarness.Endpoint("inhouse", _private, deployment: "private", price: "{ input: 0, output: 0 }")
            + GatewayHarness.Endpoint("keyless", _first).Replace("deployment: external", "deployment: external\n    api_key_env: MODELRACE_TEST_UNSET_KEY_VARIABLE", StringComparison.Ordinal),
            """
              - name: fb
                strategy: fallback
                timeout: 400ms
                targets: [first/m, second/m]
              - name: ab
                strategy: weighted
                targets:
                  - { endpoint: first, model: m, weight: 70 }
                  - { endpoint: second, model: m, weight: 30 }
              - name: sticky
                strategy: weighted
                sticky: true
                targets:
                  - { endpoint: first, model: m, weight: 50 }
                  - { endpoint: second, model: m, weight: 50 }
              - name: mixed
                strategy: fallback
                targets: [first/m, inhouse/m]
              - name: needs-key
                targets: [keyless/m, second/m]
              - name: fastest
                strategy: fastest
                targets: [first/m, second/m]
            """);
    }

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FakeBehaviour.Status500)]
    [InlineData(FakeBehaviour.Status429)]
    [InlineData(FakeBehaviour.Slow)]
    public async Task Fallback_takes_over_when_the_first_target_fails(FakeBehaviour failure)
    {
        _first.Behaviour = failure;
        ChatCompletion completion = await _gateway.Client("fb").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        Assert.Equal("answer from second", completion.Content[0].Text);
        Assert.Equal(1, _first.Requests);
        Assert.Equal(1, _second.Requests);
    }

    [Fact]
    public async Task A_stream_that_fails_before_its_first_byte_falls_back_cleanly()
    {
        _first.Behaviour = FakeBehaviour.DropBeforeFirstByte;
        var text = new StringBuilder();
        await foreach (var update in _gateway.Client("fb").CompleteChatStreamingAsync([new UserChatMessage("hi")], cancellationToken: Ct))
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
        Assert.Equal("answer from second", text.ToString());
        Assert.Equal(1, _first.Requests);
    }

    [Fact]
    public async Task A_stream_that_fails_after_output_began_ends_in_an_error_event_and_is_never_stitched()
    {
        _first.Behaviour = FakeBehaviour.DropMidStream;
        using var response = await _gateway.Http.PostAsync(new Uri(_gateway.BaseAddress, "v1/chat/completions"),
            new StringContent("""{"model":"fb","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("\"content\":\"answer\"", body, StringComparison.Ordinal);
        Assert.Contains("\"error\":", body, StringComparison.Ordinal);
        Assert.Contains("broke off", body, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        Assert.Equal(0, _second.Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_target_whose_key_variable_is_unset_is_skipped_with_its_reason_kept(bool stream)
    {
        var text = new StringBuilder();
        if (stream)
        {
            await foreach (var update in _gateway.Client("needs-key").CompleteChatStreamingAsync([new UserChatMessage("hi")], cancellationToken: Ct))
                foreach (var part in update.ContentUpdate) text.Append(part.Text);
        }
        else text.Append((await _gateway.Client("needs-key").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct)).Value.Content[0].Text);
        Assert.Equal("answer from second", text.ToString());
        Assert.Equal(0, _first.Requests);
    }

    [Fact]
    public async Task When_every_target_fails_the_client_gets_one_clear_error_naming_them()
    {
        _first.Behaviour = FakeBehaviour.Status500;
        _second.Behaviour = FakeBehaviour.Status500;
        var e = await Assert.ThrowsAsync<ClientResultException>(() => _gateway.Client("fb").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        Assert.Equal(502, e.Status);
        Assert.Contains("first/m", e.Message, StringComparison.Ordinal);
        Assert.Contains("second/m", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_weighted_route_splits_1000_requests_within_tolerance()
    {
        var client = _gateway.Client("ab");
        var gate = new SemaphoreSlim(16);
        var tasks = Enumerable.Range(0, 1000).Select(async _ =>
        {
            await gate.WaitAsync(Ct);
            try { return (await client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct)).Value.Content[0].Text; }
            finally { gate.Release(); }
        });
        var answers = await Task.WhenAll(tasks);
        var first = answers.Count(a => a == "answer from first");
        // 70% of 1000 has a standard deviation of ~14.5; ±60 is over 4 sigma.
        Assert.InRange(first, 640, 760);
        Assert.Equal(1000 - first, answers.Count(a => a == "answer from second"));
    }

    [Fact]
    public async Task A_sticky_weighted_route_keeps_each_user_on_one_target()
    {
        var client = _gateway.Client("sticky");
        var byUser = new Dictionary<string, HashSet<string>>();
        for (var u = 0; u < 20; u++)
        {
            var user = $"user-{u}";
            byUser[user] = [];
            for (var i = 0; i < 5; i++)
                byUser[user].Add((await client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { EndUserId = user }, Ct)).Value.Content[0].Text);
        }
        Assert.All(byUser.Values, answers => Assert.Single(answers));
        Assert.Equal(2, byUser.Values.Select(a => a.Single()).Distinct().Count());
    }

    [Fact]
    public async Task A_confidential_request_never_reaches_an_external_endpoint()
    {
        using var onlyExternal = Confidential("fb");
        using var refused = await _gateway.Http.SendAsync(onlyExternal, Ct);
        Assert.Equal(403, (int)refused.StatusCode);
        Assert.Contains("data_policy_violation", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var mixed = Confidential("mixed");
        using var answered = await _gateway.Http.SendAsync(mixed, Ct);
        Assert.Contains("answer from private", await answered.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var direct = Confidential("first/m");
        using var directRefused = await _gateway.Http.SendAsync(direct, Ct);
        Assert.Equal(403, (int)directRefused.StatusCode);

        Assert.Equal(0, _first.Requests);
        Assert.Equal(0, _second.Requests);
        Assert.Equal(1, _private.Requests);
    }

    [Fact]
    public async Task Fastest_prefers_the_target_with_the_lower_recent_latency()
    {
        _first.Behaviour = FakeBehaviour.Slow;
        _first.SlowDelay = TimeSpan.FromMilliseconds(150);
        var client = _gateway.Client("fastest");
        for (var i = 0; i < 6; i++) await client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        var answers = new List<string>();
        for (var i = 0; i < 10; i++) answers.Add((await client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct)).Value.Content[0].Text);
        Assert.All(answers, a => Assert.Equal("answer from second", a));
    }

    private HttpRequestMessage Confidential(string model)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_gateway.BaseAddress, "v1/chat/completions"))
        {
            Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"secret"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-ModelRace-Data-Class", "confidential");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }
}
