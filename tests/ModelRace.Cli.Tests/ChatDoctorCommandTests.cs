using System.Text.Json;
using ModelRace.Providers.Config;
using ModelRace.Providers.Tests;
using static ModelRace.Providers.Tests.Fixtures;

namespace ModelRace.Cli.Tests;

public sealed class ChatDoctorCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string WriteConfig(string yaml)
    {
        var path = Path.Combine(_cli.WorkDir, "modelrace.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string OpenAIEndpoint(Uri url, string name = "fake", string model = "gpt-4o-mini") =>
        $"  - name: {name}\n" +
        "    kind: openai-compatible\n" +
        $"    base_url: {url}\n" +
        "    api_key_env: FAKE_KEY\n" +
        $"    models: [{{ name: {model}, card: gpt-4o }}]\n" +
        "    limits: { timeout: 5s }\n";

    [Fact]
    public async Task The_example_config_parses_and_uses_only_known_presets()
    {
        var result = await _cli.RunAsync("config", "init");
        Assert.Equal(0, result.ExitCode);
        var config = ConfigLoader.LoadFile(Path.Combine(_cli.WorkDir, "modelrace.yaml"));
        Assert.Contains(config.Endpoints, e => e.Preset == "openai");
        Assert.Contains(config.Endpoints, e => e.Preset == "anthropic");
        Assert.Contains(config.Endpoints, e => e.Preset == "gemini");
        Assert.Contains(config.Endpoints, e => e.Preset == "ollama" && e.ApiKeyEnv is null && e.Price!.Input == 0);
        Assert.True(config.Cache.Enabled);
        var catalog = ModelRace.Catalog.ModelCatalog.BuiltInOnly();
        Assert.All(config.Endpoints.SelectMany(e => e.Models).Where(m => m.Card is not null), m => Assert.NotNull(catalog.Find(m.Card!)));
        Assert.Contains(config.Endpoints, e => e.Name == "vllm" && e.Deployment == Core.Endpoints.DeploymentClass.Private && e.Price is not null);
    }

    [Fact]
    public async Task Chat_streams_the_reply_then_tokens_latency_and_cost()
    {
        await using var server = await FakeServer.StartAsync((context, _) => FakeServer.Stream(context, OpenAIStream()));
        WriteConfig($"cache: {{ enabled: false }}\nendpoints:\n{OpenAIEndpoint(server.At("v1/"))}");
        _cli.Environment["FAKE_KEY"] = "k-123";

        var result = await _cli.RunAsync("chat", "--endpoint", "fake", "Say hello");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("Hello world", result.Console);
        Assert.Contains("12 in (4 cached), 3 out", result.Console);
        Assert.Contains("first token", result.Console);
        // gpt-4o card: 2.50 in, 1.25 cached, 10 out per 1M → (8×2.5 + 4×1.25 + 3×10) / 1M
        Assert.Contains("$0.000055", result.Console);
        Assert.Equal("Say hello", Assert.Single(server.Requests).Json.GetProperty("messages")[0].GetProperty("content").GetString());
    }

    [Fact]
    public async Task Chat_json_reports_cost_and_a_second_identical_chat_comes_free_from_the_cache()
    {
        await using var server = await FakeServer.StartAsync((context, _) => FakeServer.Stream(context, OpenAIStream()));
        var cache = Path.Combine(_cli.WorkDir, "cache");
        WriteConfig($"cache: {{ directory: {cache} }}\nendpoints:\n{OpenAIEndpoint(server.At("v1/"))}");
        _cli.Environment["FAKE_KEY"] = "k-123";

        var first = JsonDocument.Parse((await _cli.RunAsync("chat", "Say hello", "--json")).Out).RootElement;
        var second = JsonDocument.Parse((await _cli.RunAsync("chat", "Say hello", "--json")).Out).RootElement;

        Assert.Single(server.Requests);
        Assert.Equal("Hello world", second.GetProperty("text").GetString());
        Assert.Equal(0.000055m, first.GetProperty("cost").GetDecimal());
        Assert.False(first.GetProperty("cached").GetBoolean());
        Assert.True(second.GetProperty("cached").GetBoolean());
        Assert.Equal(0m, second.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task Chat_says_which_variable_is_missing()
    {
        WriteConfig($"endpoints:\n{OpenAIEndpoint(new Uri("http://127.0.0.1:9/v1/"))}");
        var result = await _cli.RunAsync("chat", "-e", "fake", "hi");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAKE_KEY", result.Error);
        Assert.Contains("not set", result.Error);
    }

    [Fact]
    public async Task Chat_with_an_unknown_endpoint_lists_the_configured_ones()
    {
        WriteConfig($"endpoints:\n{OpenAIEndpoint(new Uri("http://127.0.0.1:9/v1/"))}");
        var result = await _cli.RunAsync("chat", "-e", "nope", "hi");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no endpoint named 'nope'", result.Error);
        Assert.Contains("fake", result.Error);
    }

    [Fact]
    public async Task Chat_without_a_config_file_says_where_it_looked()
    {
        var result = await _cli.RunAsync("chat", "hi");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no modelrace.yaml found", result.Error);
        Assert.Contains("modelrace config init", result.Error);
    }

    [Fact]
    public async Task Doctor_explains_each_misconfiguration()
    {
        await using var good = await FakeServer.StartAsync((context, r) => r.Headers.GetValueOrDefault("authorization") == "Bearer k-123"
            ? FakeServer.Reply(context, 200, OpenAIModels)
            : FakeServer.Reply(context, 401, OpenAIError401));
        var closed = ClosedPort.Url();
        WriteConfig($"""
            endpoints:
            {OpenAIEndpoint(good.At("v1/"), "works")}
            {OpenAIEndpoint(good.At("v1/"), "wrongmodel", model: "gpt-9")}
            {OpenAIEndpoint(closed, "down")}
              - name: nokey
                preset: mistral
                models: [mistral-small-latest]
              - name: badkey
                kind: openai-compatible
                base_url: {good.At("v1/")}
                api_key_env: BAD_KEY
                models: [gpt-4o]
            """);
        _cli.Environment["FAKE_KEY"] = "k-123";
        _cli.Environment["BAD_KEY"] = "k-wrong";

        var result = await _cli.RunAsync("doctor", "--json");

        Assert.Equal(1, result.ExitCode);
        var findings = JsonDocument.Parse(result.Out).RootElement.GetProperty("findings").EnumerateArray()
            .Where(f => f.GetProperty("status").GetString() != "warning")
            .ToDictionary(f => f.GetProperty("endpoint").GetString()!);
        Assert.Equal("ok", findings["works"].GetProperty("status").GetString());
        Assert.Contains("gpt-9", findings["wrongmodel"].GetProperty("summary").GetString());
        Assert.Contains("Check the spelling", findings["wrongmodel"].GetProperty("advice").GetString());
        Assert.Contains($"127.0.0.1:{closed.Port}", findings["down"].GetProperty("advice").GetString());
        Assert.Contains("start it", findings["down"].GetProperty("advice").GetString());
        Assert.Contains("MISTRAL_API_KEY", findings["nokey"].GetProperty("advice").GetString());
        Assert.Contains("export MISTRAL_API_KEY", findings["nokey"].GetProperty("advice").GetString());
        Assert.Contains("BAD_KEY", findings["badkey"].GetProperty("advice").GetString());
        Assert.Equal("problem", findings["badkey"].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Doctor_table_reads_as_plain_language_and_warns_about_unknown_prices()
    {
        await using var server = await FakeServer.StartAsync((context, _) => FakeServer.Reply(context, 200, """{"object":"list","data":[{"id":"house-model","object":"model"}]}"""));
        WriteConfig($"""
            endpoints:
              - name: house
                kind: openai-compatible
                base_url: {server.At("v1/")}
                models: [house-model]
            """);
        var result = await _cli.RunAsync("doctor");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("key accepted, model offered", result.Console);
        Assert.Contains("cost will be reported as unknown", result.Console);
        Assert.Contains("What to do:", result.Console);
    }
}
