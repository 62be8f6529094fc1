using ModelRace.Core.Endpoints;
using ModelRace.Providers.Config;

namespace ModelRace.Providers.Tests;

public sealed class ConfigTests
{
    private static ModelRaceConfig Parse(string yaml) => ConfigLoader.Parse(yaml, "/etc/modelrace.yaml");

    private static ConfigException Fails(string yaml) => Assert.Throws<ConfigException>(() => Parse(yaml));

    [Fact]
    public void A_preset_fills_kind_url_key_variable_and_deployment()
    {
        var config = Parse("""
            endpoints:
              - name: ds
                preset: deepseek
                models: [deepseek-chat]
            """);
        var endpoint = Assert.Single(config.Endpoints);
        Assert.Equal(EndpointKind.OpenAICompatible, endpoint.Kind);
        Assert.Equal(new Uri("https://api.deepseek.com/v1"), endpoint.BaseUrl);
        Assert.Equal("DEEPSEEK_API_KEY", endpoint.ApiKeyEnv);
        Assert.Equal(DeploymentClass.External, endpoint.Deployment);
        Assert.Equal("deepseek-chat", Assert.Single(endpoint.Models).Name);
        Assert.Equal(EndpointLimits.DefaultTimeout, endpoint.Limits.Timeout);
    }

    [Theory]
    [InlineData("openai", EndpointKind.OpenAICompatible, "https://api.openai.com/v1", "OPENAI_API_KEY", DeploymentClass.External)]
    [InlineData("dashscope", EndpointKind.OpenAICompatible, "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY", DeploymentClass.External)]
    [InlineData("mistral", EndpointKind.OpenAICompatible, "https://api.mistral.ai/v1", "MISTRAL_API_KEY", DeploymentClass.External)]
    [InlineData("groq", EndpointKind.OpenAICompatible, "https://api.groq.com/openai/v1", "GROQ_API_KEY", DeploymentClass.External)]
    [InlineData("together", EndpointKind.OpenAICompatible, "https://api.together.xyz/v1", "TOGETHER_API_KEY", DeploymentClass.External)]
    [InlineData("openrouter", EndpointKind.OpenAICompatible, "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", DeploymentClass.External)]
    [InlineData("ollama", EndpointKind.OpenAICompatible, "http://localhost:11434/v1", null, DeploymentClass.Private)]
    [InlineData("vllm", EndpointKind.OpenAICompatible, "http://localhost:8000/v1", null, DeploymentClass.Private)]
    [InlineData("llama.cpp", EndpointKind.OpenAICompatible, "http://localhost:8080/v1", null, DeploymentClass.Private)]
    [InlineData("lm-studio", EndpointKind.OpenAICompatible, "http://localhost:1234/v1", null, DeploymentClass.Private)]
    [InlineData("lm studio", EndpointKind.OpenAICompatible, "http://localhost:1234/v1", null, DeploymentClass.Private)]
    [InlineData("anthropic", EndpointKind.Anthropic, "https://api.anthropic.com", "ANTHROPIC_API_KEY", DeploymentClass.External)]
    [InlineData("gemini", EndpointKind.Gemini, "https://generativelanguage.googleapis.com/v1beta", "GEMINI_API_KEY", DeploymentClass.External)]
    public void Every_preset_has_its_documented_url_and_key_variable(string preset, EndpointKind kind, string url, string? keyEnv, DeploymentClass deployment)
    {
        var endpoint = Assert.Single(Parse($"endpoints:\n  - {{ name: x, preset: '{preset}', models: [m] }}\n").Endpoints);
        Assert.Equal(kind, endpoint.Kind);
        Assert.Equal(new Uri(url), endpoint.BaseUrl);
        Assert.Equal(keyEnv, endpoint.ApiKeyEnv);
        Assert.Equal(deployment, endpoint.Deployment);
    }

    [Fact]
    public void Explicit_fields_override_the_preset_and_limits_price_and_cards_are_read()
    {
        var config = Parse("""
            database: ./races.db
            cache: { enabled: false, directory: /tmp/c }
            endpoints:
              - name: mine
                preset: openai
                base_url: https://proxy.example.com/v1
                api_key_env: MY_PROXY_KEY
                deployment: private
                models:
                  - { name: gpt-4o-mini, card: gpt-4o-mini }
                  - plain-name
                price: { input: 0.5, output: 1.5, cached_input: 0.25, currency: EUR }
                limits: { max_concurrency: 4, rpm: 600, tpm: 200000, timeout: 1500ms }
            """);
        Assert.Equal("./races.db", config.Database);
        Assert.Equal(new CacheSettings(false, "/tmp/c"), config.Cache);
        var e = Assert.Single(config.Endpoints);
        Assert.Equal(new Uri("https://proxy.example.com/v1"), e.BaseUrl);
        Assert.Equal("MY_PROXY_KEY", e.ApiKeyEnv);
        Assert.Equal(DeploymentClass.Private, e.Deployment);
        Assert.Equal([new EndpointModel("gpt-4o-mini", "gpt-4o-mini"), new EndpointModel("plain-name")], e.Models);
        Assert.Equal(new PriceOverride(0.5m, 1.5m, 0.25m, "EUR"), e.Price);
        Assert.Equal(4, e.Limits.MaxConcurrency);
        Assert.Equal(600, e.Limits.RequestsPerMinute);
        Assert.Equal(200000, e.Limits.TokensPerMinute);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), e.Limits.Timeout);
    }

    [Fact]
    public void A_local_endpoint_keeps_its_model_paths()
    {
        var e = Assert.Single(Parse("""
            endpoints:
              - name: here
                kind: local
                models:
                  - { name: qwen-tiny, path: ~/models/qwen.gguf }
            """).Endpoints);
        Assert.Equal(EndpointKind.Local, e.Kind);
        Assert.Equal(DeploymentClass.Private, e.Deployment);
        Assert.Equal("~/models/qwen.gguf", e.Models[0].Path);
    }

    [Fact]
    public void A_local_model_without_a_path_is_an_error()
    {
        var e = Fails("endpoints:\n  - { name: here, kind: local, models: [qwen] }\n");
        Assert.Contains("endpoint 'here'", e.Message);
        Assert.Contains("models[0].path", e.Message);
    }

    [Theory]
    [InlineData("api_key: sk-proj-abc123def456ghi789", "api_key")]
    [InlineData("key: abc", "key")]
    [InlineData("token: abc", "token")]
    public void A_key_field_in_the_file_is_refused(string line, string field)
    {
        var e = Fails($"endpoints:\n  - name: oops\n    preset: openai\n    {line}\n    models: [gpt-4o]\n");
        Assert.Contains("/etc/modelrace.yaml", e.Message);
        Assert.Contains("endpoint 'oops'", e.Message);
        Assert.Contains(field, e.Message);
        Assert.Contains("environment variable", e.Message);
    }

    [Theory]
    [InlineData("sk-proj-Abc123Def456Ghi789")]
    [InlineData("AIzaSyD-abcdefghijklmnop1234567")]
    [InlineData("gsk_abcdefghijklmnop1234567890")]
    [InlineData("a8f5f167f44f4964e6c998dee827110c")]
    public void A_literal_key_in_api_key_env_is_refused(string value)
    {
        var e = Fails($"endpoints:\n  - name: oops\n    preset: openai\n    api_key_env: {value}\n    models: [gpt-4o]\n");
        Assert.Contains("api_key_env", e.Message);
        Assert.Contains("looks like a key", e.Message);
        Assert.DoesNotContain(value, e.Message); // never echo a secret
    }

    [Theory]
    [InlineData("endpoints:\n  - { name: a, preset: nope, models: [m] }\n", "preset", "known presets")]
    [InlineData("endpoints:\n  - { name: a, kind: cohere, base_url: 'http://x', models: [m] }\n", "kind", "openai-compatible")]
    [InlineData("endpoints:\n  - { name: a, kind: openai-compatible, models: [m] }\n", "base_url", "required")]
    [InlineData("endpoints:\n  - { name: a, kind: openai-compatible, base_url: 'ftp://x', models: [m] }\n", "base_url", "http")]
    [InlineData("endpoints:\n  - { name: a, preset: openai }\n", "models", "required")]
    [InlineData("endpoints:\n  - { name: a, preset: openai, models: [] }\n", "models", "non-empty")]
    [InlineData("endpoints:\n  - { name: a, preset: openai, models: [m], limits: { rpm: -3 } }\n", "limits.rpm", "above 0")]
    [InlineData("endpoints:\n  - { name: a, preset: openai, models: [m], limits: { timeout: soon } }\n", "limits.timeout", "duration")]
    [InlineData("endpoints:\n  - { name: a, preset: openai, models: [m], deployment: cloud }\n", "deployment", "private")]
    [InlineData("endpoints:\n  - { name: a, preset: openai, models: [m], price: { output: 1 } }\n", "price.input", "required")]
    [InlineData("endpoints:\n  - { name: a, preset: openai, models: [m], colour: blue }\n", "colour", "not a known field")]
    [InlineData("endpoints:\n  - { name: a, kind: anthropic, base_url: 'https://x', models: [m] }\n", "api_key_env", "required")]
    [InlineData("endpoints:\n  - { name: a, preset: openai, api_key_env: 'MY KEY', models: [m] }\n", "api_key_env", "not an environment variable name")]
    public void Errors_name_the_file_endpoint_and_field(string yaml, string field, string words)
    {
        var e = Fails(yaml);
        Assert.StartsWith("/etc/modelrace.yaml: endpoint 'a', ", e.Message);
        Assert.Contains(field, e.Message);
        Assert.Contains(words, e.Message);
        Assert.Contains("line ", e.Message);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("endpoints: [\n", "not valid YAML")]
    [InlineData("database: x\n", "endpoints")]
    [InlineData("endpoints:\n  - { preset: openai, models: [m] }\n", "name")]
    [InlineData("endpoints:\n  - { name: a, preset: openai, models: [m] }\n  - { name: A, preset: groq, models: [m] }\n", "unique")]
    public void File_level_errors_are_clear(string yaml, string words)
    {
        var e = Fails(yaml);
        Assert.StartsWith("/etc/modelrace.yaml", e.Message);
        Assert.Contains(words, e.Message);
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("2m", 120_000)]
    [InlineData("500ms", 500)]
    [InlineData("45", 45_000)]
    [InlineData("1.5s", 1_500)]
    public void Durations_parse(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ConfigLoader.ParseDuration(text));

    [Fact]
    public void The_locator_prefers_the_option_then_the_variable_then_the_working_directory_then_home()
    {
        var work = Directory.CreateTempSubdirectory("mr-work-").FullName;
        var home = Directory.CreateTempSubdirectory("mr-home-").FullName;
        try
        {
            var env = new Dictionary<string, string>();
            Assert.Throws<ConfigException>(() => ConfigLocator.Locate(null, env.GetValueOrDefault, work, home));
            File.WriteAllText(Path.Combine(home, "modelrace.yaml"), "");
            Assert.Equal(Path.Combine(home, "modelrace.yaml"), ConfigLocator.Locate(null, env.GetValueOrDefault, work, home));
            File.WriteAllText(Path.Combine(work, "modelrace.yaml"), "");
            Assert.Equal(Path.Combine(work, "modelrace.yaml"), ConfigLocator.Locate(null, env.GetValueOrDefault, work, home));
            File.WriteAllText(Path.Combine(work, "other.yaml"), "");
            env["MODELRACE_CONFIG"] = "other.yaml";
            Assert.Equal(Path.Combine(work, "other.yaml"), ConfigLocator.Locate(null, env.GetValueOrDefault, work, home));
            File.WriteAllText(Path.Combine(work, "given.yaml"), "");
            Assert.Equal(Path.Combine(work, "given.yaml"), ConfigLocator.Locate("given.yaml", env.GetValueOrDefault, work, home));
            var missing = Assert.Throws<ConfigException>(() => ConfigLocator.Locate("absent.yaml", env.GetValueOrDefault, work, home));
            Assert.Contains("absent.yaml", missing.Message);
        }
        finally
        {
            Directory.Delete(work, true);
            Directory.Delete(home, true);
        }
    }
}
