using System.Text.Json;

namespace ModelRace.Cli.Tests;

public sealed class ModelsCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private const string UserCard = """
        id: acme-7b
        display_name: Acme 7B
        organisation: Acme
        family: acme
        access: open-weights
        licence:
          id: Apache-2.0
          commercial_use: allowed
          source: { url: "https://example.com/licence", as_of: 2025-01-01 }
        prices:
          currency: USD
          input: 0.05
          output: 0.10
          source: { url: "https://example.com/pricing", as_of: 2025-01-01 }
        """;

    [Fact]
    public async Task Models_lists_the_catalog_as_a_table()
    {
        var result = await _cli.RunAsync("models");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("gpt-4o", result.Console);
        Assert.Contains("openness", result.Console);
    }

    [Fact]
    public async Task Models_json_is_parseable_and_honours_filters()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_cli.WorkDir, "cards"));
        File.WriteAllText(Path.Combine(dir.FullName, "acme.yaml"), UserCard);
        var result = await _cli.RunAsync("models", "--open", "--commercial", "--json", "--catalog", dir.FullName);
        Assert.Equal(0, result.ExitCode);
        var rows = JsonDocument.Parse(result.Out).RootElement.EnumerateArray().ToList();
        Assert.Contains(rows, r => r.GetProperty("id").GetString() == "acme-7b");
        Assert.DoesNotContain(rows, r => r.GetProperty("id").GetString() == "gpt-4o");
        Assert.All(rows, r => Assert.Equal("allowed", r.GetProperty("commercial_use").GetString()));
    }

    [Fact]
    public async Task Max_input_price_filters_rows()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_cli.WorkDir, "cards"));
        File.WriteAllText(Path.Combine(dir.FullName, "acme.yaml"), UserCard);
        var result = await _cli.RunAsync("models", "--max-input-price", "0.06", "--json", "--catalog", dir.FullName);
        var ids = JsonDocument.Parse(result.Out).RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        Assert.Contains("acme-7b", ids);
        Assert.DoesNotContain("gpt-4o", ids);
    }

    [Fact]
    public async Task Show_prints_the_whole_card()
    {
        var result = await _cli.RunAsync("models", "show", "gpt-4o");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("training code", result.Console);
        Assert.Contains("https://openai.com/api/pricing/", result.Console);
    }

    [Fact]
    public async Task Show_of_an_unknown_id_suggests_close_matches()
    {
        var result = await _cli.RunAsync("models", "show", "gpt4o");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no model card with id 'gpt4o'", result.Error);
        Assert.Contains("gpt-4o", result.Error);
    }

    [Fact]
    public async Task User_cards_in_home_override_built_in_ones()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_cli.Home, "catalog"));
        File.WriteAllText(Path.Combine(dir.FullName, "mine.yaml"), UserCard.Replace("id: acme-7b", "id: gpt-4o").Replace("Acme 7B", "My GPT"));
        var result = await _cli.RunAsync("models", "show", "gpt-4o", "--json");
        Assert.Equal("My GPT", JsonDocument.Parse(result.Out).RootElement.GetProperty("display_name").GetString());
    }

    [Fact]
    public async Task A_malformed_user_card_names_file_and_field()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_cli.WorkDir, "bad"));
        var file = Path.Combine(dir.FullName, "bad.yaml");
        File.WriteAllText(file, UserCard.Replace("input: 0.05", "input: -1"));
        var result = await _cli.RunAsync("models", "--catalog", dir.FullName);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(file, result.Error);
        Assert.Contains("prices.input", result.Error);
        Assert.Contains("must not be negative", result.Error);
    }

    [Fact]
    public async Task Open_and_closed_together_is_an_error()
    {
        var result = await _cli.RunAsync("models", "--open", "--closed");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("exclude each other", result.Error);
    }

    [Fact]
    public async Task Config_init_writes_an_example_and_refuses_to_overwrite()
    {
        var first = await _cli.RunAsync("config", "init");
        Assert.Equal(0, first.ExitCode);
        var text = File.ReadAllText(Path.Combine(_cli.WorkDir, "modelrace.yaml"));
        Assert.Contains("endpoints:", text);
        Assert.Contains("api_key_env", text);
        var second = await _cli.RunAsync("config", "init");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("--force", second.Error);
    }

    [Fact]
    public async Task Every_command_has_help()
    {
        foreach (var args in new[] { new[] { "--help" }, ["models", "--help"], ["models", "show", "--help"], ["config", "init", "--help"] })
        {
            var result = await _cli.RunAsync(args);
            Assert.Equal(0, result.ExitCode);
            Assert.Contains("Usage", result.Out);
        }
    }
}
