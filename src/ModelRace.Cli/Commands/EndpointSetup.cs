using System.CommandLine;
using ModelRace.Catalog;
using ModelRace.Core.Endpoints;
using ModelRace.Providers;
using ModelRace.Providers.Config;

namespace ModelRace.Cli.Commands;

/// <summary>Loads modelrace.yaml and the catalog and builds the endpoint client factory, for chat, doctor and friends.</summary>
internal static class EndpointSetup
{
    public static Option<string?> ConfigOption() => new("--config")
    {
        Description = "The modelrace.yaml to use (default: $MODELRACE_CONFIG, ./modelrace.yaml, then ~/.modelrace/modelrace.yaml).",
    };

    public static ModelRaceConfig LoadConfig(CliContext context, string? configPath)
    {
        try
        {
            var path = ConfigLocator.Locate(configPath, context.GetEnvironmentVariable, context.WorkingDirectory, context.HomeDirectory);
            return ConfigLoader.LoadFile(path);
        }
        catch (ConfigException e)
        {
            throw new CliException(e.Message);
        }
    }

    public static string CacheDirectory(CliContext context, ModelRaceConfig config) =>
        config.Cache.Directory is { Length: > 0 } dir ? ExpandHome(dir, context) : Path.Combine(context.HomeDirectory, "cache");

    public static string ExpandHome(string path, CliContext context) =>
        path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..])
            : Path.GetFullPath(Path.Combine(context.WorkingDirectory, path));

    public static EndpointClientFactory Factory(CliContext context, ModelRaceConfig config, ModelCatalog catalog) =>
        new(config, catalog, new EndpointClientOptions
        {
            GetEnvironmentVariable = context.GetEnvironmentVariable,
            CacheDirectory = config.Cache.Enabled ? CacheDirectory(context, config) : null,
        });
}
