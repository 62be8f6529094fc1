using ModelRace.Core.Endpoints;

namespace ModelRace.Providers.Config;

/// <summary>What a preset fills in: the provider's documented base URL and its conventional key variable.</summary>
public sealed record EndpointPreset(string Name, EndpointKind Kind, Uri BaseUrl, string? ApiKeyEnv, DeploymentClass Deployment, string Description);

/// <summary>Well-known providers, so that a config names only the preset and its models.</summary>
public static class EndpointPresets
{
    private static EndpointPreset Hosted(string name, string url, string keyEnv, string description, EndpointKind kind = EndpointKind.OpenAICompatible) =>
        new(name, kind, new Uri(url), keyEnv, DeploymentClass.External, description);

    private static EndpointPreset SelfHosted(string name, string url, string description) =>
        new(name, EndpointKind.OpenAICompatible, new Uri(url), null, DeploymentClass.Private, description);

    /// <summary>Base URLs as each provider documents them for its OpenAI-compatible (or native) API.</summary>
    public static readonly IReadOnlyList<EndpointPreset> All =
    [
        Hosted("openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "OpenAI"),
        Hosted("deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", "DeepSeek"),
        Hosted("dashscope", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY",
            "Alibaba Cloud Model Studio (Qwen), OpenAI-compatible mode, international region"),
        Hosted("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "Mistral AI"),
        Hosted("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "Groq"),
        Hosted("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY", "Together AI"),
        Hosted("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OpenRouter"),
        SelfHosted("ollama", "http://localhost:11434/v1", "Ollama on this machine"),
        SelfHosted("vllm", "http://localhost:8000/v1", "vLLM server (vllm serve)"),
        SelfHosted("llama.cpp", "http://localhost:8080/v1", "llama.cpp server (llama-server)"),
        SelfHosted("lm-studio", "http://localhost:1234/v1", "LM Studio local server"),
        Hosted("anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", "Anthropic (Claude)", EndpointKind.Anthropic),
        Hosted("gemini", "https://generativelanguage.googleapis.com/v1beta", "GEMINI_API_KEY", "Google Gemini API", EndpointKind.Gemini),
    ];

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["llamacpp"] = "llama.cpp", ["llama-cpp"] = "llama.cpp", ["llama_cpp"] = "llama.cpp",
        ["lmstudio"] = "lm-studio", ["lm studio"] = "lm-studio", ["lm_studio"] = "lm-studio",
        ["qwen"] = "dashscope", ["google"] = "gemini", ["claude"] = "anthropic",
    };

    public static EndpointPreset? Find(string name)
    {
        var canonical = Aliases.GetValueOrDefault(name.Trim(), name.Trim());
        return All.FirstOrDefault(p => p.Name.Equals(canonical, StringComparison.OrdinalIgnoreCase));
    }
}
