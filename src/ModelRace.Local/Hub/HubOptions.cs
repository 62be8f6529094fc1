namespace ModelRace.Local.Hub;

/// <summary>Where the hub is, who we are to it, and where downloads go.</summary>
public sealed record HubOptions
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>HF_ENDPOINT, for mirrors and tests.</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;
    /// <summary>HF_TOKEN, sent as a bearer token; needed for gated and private repos.</summary>
    public string? Token { get; init; }
    /// <summary>~/.cache/modelrace, or $MODELRACE_HOME/cache.</summary>
    public required string CacheDirectory { get; init; }

    public static HubOptions FromEnvironment(Func<string, string?>? getEnvironmentVariable = null)
    {
        var env = getEnvironmentVariable ?? Environment.GetEnvironmentVariable;
        string cache;
        if (env("MODELRACE_HOME") is { Length: > 0 } home) cache = Path.Combine(home, "cache");
        else if (env("XDG_CACHE_HOME") is { Length: > 0 } xdg) cache = Path.Combine(xdg, "modelrace");
        else cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "modelrace");
        return new HubOptions
        {
            Endpoint = (env("HF_ENDPOINT") is { Length: > 0 } endpoint ? endpoint : DefaultEndpoint).TrimEnd('/'),
            Token = env("HF_TOKEN") is { Length: > 0 } token ? token.Trim() : null,
            CacheDirectory = cache,
        };
    }

    /// <summary>Where a hub file lives once downloaded: CACHE/hub/OWNER/NAME/PATH.</summary>
    public string CachePath(string repo, string file) =>
        Path.Combine([CacheDirectory, "hub", .. repo.Split('/'), .. file.Split('/')]);
}
