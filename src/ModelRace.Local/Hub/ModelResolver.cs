namespace ModelRace.Local.Hub;

/// <summary>
/// Turns what a user typed after --model into a local GGUF path: an existing file is used as is, and a hub spec
/// (<c>hf:owner/repo:QUANT</c>, <c>owner/repo:QUANT</c>, <c>owner/repo:file.gguf</c>) is served from the cache or pulled into it.
/// </summary>
public static class ModelResolver
{
    /// <summary>The race's default local model: small, instruct-tuned, permissively licensed.</summary>
    public const string DefaultLocalModel = "Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M";
    public const string DefaultLocalModelFile = "qwen2.5-0.5b-instruct-q4_k_m.gguf";

    /// <param name="notify">Told, in a sentence, when a model is downloaded on first use.</param>
    /// <exception cref="HubException">The spec is malformed, or the pull fails (the message says why and what to do).</exception>
    /// <exception cref="FileNotFoundException">The spec names a local .gguf file that does not exist.</exception>
    public static async Task<string> ResolveAsync(string modelSpec, HubOptions? options = null, IProgress<DownloadProgress>? progress = null,
        Action<string>? notify = null, HttpClient? http = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelSpec);
        var isHubSpec = modelSpec.StartsWith("hf:", StringComparison.OrdinalIgnoreCase);
        if (!isHubSpec && File.Exists(modelSpec)) return Path.GetFullPath(modelSpec);
        if (!isHubSpec && (modelSpec.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) && !modelSpec.Contains(':', StringComparison.Ordinal)
                           || modelSpec.StartsWith('.') || modelSpec.StartsWith('/') || modelSpec.StartsWith('~') || Path.IsPathRooted(modelSpec)))
            throw new FileNotFoundException($"model file not found: {modelSpec}. To pull from the Hugging Face hub, write hf:owner/repo:QUANT.", modelSpec);

        var spec = HubModelSpec.Parse(modelSpec);
        options ??= HubOptions.FromEnvironment();
        if (FindCached(spec, options) is { } cached) return cached;

        using var ownClient = http is null ? HubClient.CreateHttpClient() : null;
        var client = new HubClient(options, http ?? ownClient!);
        var pulled = await client.PullAsync(spec, progress,
            file => notify?.Invoke($"{spec} is not in the cache yet: downloading {file.Path} ({FormatSize(file.Size)}) from {options.Endpoint} on first use."),
            cancellationToken);
        return pulled.LocalPath;
    }

    /// <summary>A finished download in the cache that the spec selects unambiguously, so that no network is needed.</summary>
    public static string? FindCached(HubModelSpec spec, HubOptions options)
    {
        var root = options.CachePath(spec.Repo, "");
        if (!Directory.Exists(root)) return null;
        var files = Directory.EnumerateFiles(root, "*.gguf", SearchOption.AllDirectories)
            .Select(path => new HubFile(Path.GetRelativePath(root, path).Replace('\\', '/'), new FileInfo(path).Length, null))
            .ToList();
        try
        {
            return options.CachePath(spec.Repo, HubFileSelector.Select(spec, files).Path);
        }
        catch (HubException)
        {
            return null; // not cached, or only a sibling quantization is: ask the hub
        }
    }

    public static string FormatSize(long bytes) => bytes switch
    {
        < 0 => "size unknown",
        < 1 << 20 => $"{bytes / 1024.0:0.#} KiB",
        < 1 << 30 => $"{bytes / (1024.0 * 1024):0.#} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB",
    };
}
