namespace ModelRace.Providers.Config;

/// <summary>Finds modelrace.yaml: --config, then MODELRACE_CONFIG, then ./modelrace.yaml, then ~/.modelrace/modelrace.yaml.</summary>
public static class ConfigLocator
{
    public const string EnvironmentVariable = "MODELRACE_CONFIG";
    public const string FileName = "modelrace.yaml";

    /// <summary>The file to read, or an error that lists every place looked.</summary>
    public static string Locate(string? explicitPath, Func<string, string?> getEnvironmentVariable, string workingDirectory, string homeDirectory)
    {
        if (explicitPath is { Length: > 0 })
        {
            var full = Path.GetFullPath(Path.Combine(workingDirectory, explicitPath));
            return File.Exists(full) ? full : throw new ConfigException($"the config file given with --config, {full}, does not exist");
        }
        if (getEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv)
        {
            var full = Path.GetFullPath(Path.Combine(workingDirectory, fromEnv));
            return File.Exists(full) ? full : throw new ConfigException($"{EnvironmentVariable} points at {full}, which does not exist");
        }
        var local = Path.Combine(workingDirectory, FileName);
        if (File.Exists(local)) return local;
        var home = Path.Combine(homeDirectory, FileName);
        if (File.Exists(home)) return home;
        throw new ConfigException(
            $"no modelrace.yaml found (looked for --config, ${EnvironmentVariable}, {local} and {home}). " +
            "Run `modelrace config init` to write an example, then edit it.");
    }
}
