using System.Text.Json;
using ModelRace.Gateway.Usage;
using ModelRace.Storage;

namespace ModelRace.Cli.Tests;

public sealed class GatewayCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Keys_are_created_listed_without_secrets_and_revoked()
    {
        var created = await _cli.RunAsync("keys", "create", "team-a", "--budget-day", "5", "--rpm", "60", "--route", "chat", "--data-class", "confidential", "--json");
        Assert.Equal(0, created.ExitCode);
        var json = JsonDocument.Parse(created.Out).RootElement;
        var secret = json.GetProperty("secret").GetString()!;
        Assert.StartsWith("mr-", secret, StringComparison.Ordinal);

        var listed = await _cli.RunAsync("keys", "list", "--json");
        Assert.DoesNotContain(secret, listed.Out, StringComparison.Ordinal);
        var key = JsonDocument.Parse(listed.Out).RootElement[0];
        Assert.Equal("team-a", key.GetProperty("name").GetString());
        Assert.Equal(5m, key.GetProperty("budget_per_day").GetDecimal());
        Assert.Equal("confidential", key.GetProperty("default_data_class").GetString());

        Assert.Equal(0, (await _cli.RunAsync("keys", "revoke", "team-a")).ExitCode);
        Assert.Equal("[]", (await _cli.RunAsync("keys", "list", "--json")).Out.Trim());
        var again = await _cli.RunAsync("keys", "revoke", "team-a");
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("no active key", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_totals_add_up_to_the_logged_cost()
    {
        var store = SqliteStore.Open(Path.Combine(_cli.WorkDir, "modelrace.db"));
        var writer = new UsageWriter(store, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, () => null);
        var costs = new[] { 0.001m, 0.0025m, 0.0001m, 0.004m };
        for (var i = 0; i < costs.Length; i++)
        {
            writer.Record(new UsageRecord
            {
                At = DateTimeOffset.UtcNow, RequestId = $"r{i}", Route = i % 2 == 0 ? "chat" : "cheap", Endpoint = "e", Model = "m",
                InputTokens = 10, OutputTokens = 5, Cost = costs[i], Currency = "USD", LatencyMs = 3, StatusCode = 200, DataClass = "general",
            });
        }
        await writer.DisposeAsync();

        var result = await _cli.RunAsync("usage", "--by", "route", "--json");
        Assert.Equal(0, result.ExitCode);
        var report = JsonDocument.Parse(result.Out).RootElement;
        var lines = report.GetProperty("lines").EnumerateArray().ToList();
        Assert.Equal(["chat", "cheap"], lines.Select(l => l.GetProperty("group").GetString()).Order());
        Assert.Equal(costs.Sum(), lines.Sum(l => l.GetProperty("cost").GetDecimal()));
        Assert.Equal(costs.Sum(), report.GetProperty("total").GetProperty("cost").GetDecimal());
        Assert.Equal(4, report.GetProperty("total").GetProperty("requests").GetInt64());

        var bad = await _cli.RunAsync("usage", "--by", "colour");
        Assert.NotEqual(0, bad.ExitCode);
    }

    [Fact]
    public async Task The_example_config_routes_are_valid_for_the_gateway()
    {
        Assert.Equal(0, (await _cli.RunAsync("config", "init")).ExitCode);
        var config = ModelRace.Gateway.Config.GatewayConfigLoader.LoadFile(Path.Combine(_cli.WorkDir, "modelrace.yaml"), ModelRace.Catalog.ModelCatalog.BuiltInOnly());
        Assert.Equal(["chat", "ab-test", "cheap-enough", "quick"], config.Routes.Select(r => r.Name));
        Assert.Equal("Qwen/Qwen2.5-7B-Instruct", config.Routes[0].Targets[0].Model);
        Assert.Equal(90, config.Settings.UsageRetentionDays);
    }

    [Fact]
    public async Task Serve_refuses_to_start_without_keys_unless_no_auth()
    {
        await File.WriteAllTextAsync(Path.Combine(_cli.WorkDir, "modelrace.yaml"), "endpoints: []\n", TestContext.Current.CancellationToken);
        var result = await _cli.RunAsync("serve", "--port", "0");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--no-auth", result.Error, StringComparison.Ordinal);
    }
}
