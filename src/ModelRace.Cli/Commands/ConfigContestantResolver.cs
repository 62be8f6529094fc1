using ModelRace.Catalog;
using ModelRace.Core.Endpoints;
using ModelRace.Core.Race;
using ModelRace.Providers;
using ModelRace.Providers.Config;
using ModelRace.Race.Running;

namespace ModelRace.Cli.Commands;

/// <summary>
/// Turns race arguments into contestants: `--endpoint NAME[/MODEL]` from modelrace.yaml through the connector stack
/// (retries, limits, cost, cache), `--endpoint name=url,...` ad hoc, and `--model FILE.gguf` in-process.
/// </summary>
internal sealed class ConfigContestantResolver(CliContext context, string? configPath) : IContestantResolver
{
    private readonly ModelCatalog _catalog = CommonOptions.LoadCatalog(context, null);
    private ModelRaceConfig? _config;
    private EndpointClientFactory? _factory;

    /// <summary>The config file, or null when none exists and none was asked for.</summary>
    public ModelRaceConfig? Config
    {
        get
        {
            if (_config is not null) return _config;
            var explicitlyAsked = configPath is { Length: > 0 } || context.GetEnvironmentVariable(ConfigLocator.EnvironmentVariable) is { Length: > 0 };
            try
            {
                _config = EndpointSetup.LoadConfig(context, configPath);
            }
            catch (CliException) when (!explicitlyAsked && !File.Exists(Path.Combine(context.WorkingDirectory, ConfigLocator.FileName))
                                                         && !File.Exists(Path.Combine(context.HomeDirectory, ConfigLocator.FileName)))
            {
                return null;
            }
            return _config;
        }
    }

    private EndpointClientFactory Factory =>
        _factory ??= EndpointSetup.Factory(context, Config ?? new ModelRaceConfig { SourcePath = "(command line)" }, _catalog);

    public Contestant Resolve(string endpointArgument)
    {
        if (endpointArgument.Contains('=', StringComparison.Ordinal))
            return new OpenAiEndpointResolver(_catalog, context.GetEnvironmentVariable).Resolve(endpointArgument);
        var slash = endpointArgument.IndexOf('/', StringComparison.Ordinal);
        var name = slash < 0 ? endpointArgument : endpointArgument[..slash];
        var config = Config ?? throw new ArgumentException(
            $"--endpoint {name}: no modelrace.yaml defines it. Run `modelrace config init`, or pass name=base_url,model=M for an ad-hoc OpenAI-compatible server");
        try
        {
            var endpoint = Factory.Endpoint(name);
            var model = Factory.Model(endpoint, slash < 0 ? null : endpointArgument[(slash + 1)..]);
            return ForModel(endpoint, model, slash < 0 && endpoint.Models.Count <= 1 ? name : $"{name}/{model.Name}");
        }
        catch (ConfigException e)
        {
            throw new ArgumentException(e.Message + $" (config: {config.SourcePath})");
        }
    }

    /// <summary>Every model of every endpoint in the config file.</summary>
    public IEnumerable<Contestant> AllConfigured() =>
        (Config?.Endpoints ?? []).SelectMany(e => e.Models.Select(m => ForModel(e, m, e.Models.Count == 1 ? e.Name : $"{e.Name}/{m.Name}")));

    /// <summary>A GGUF file on this machine, run in-process.</summary>
    public Contestant LocalFile(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var endpoint = new EndpointConfig
        {
            Name = name, Kind = EndpointKind.Local, Deployment = DeploymentClass.Private,
            Models = [new EndpointModel(name, null, path)],
        };
        return ForModel(endpoint, endpoint.Models[0], name);
    }

    private Contestant ForModel(EndpointConfig endpoint, EndpointModel model, string contestantName)
    {
        var card = Factory.CardFor(endpoint, model);
        var info = new ContestantInfo
        {
            Name = contestantName,
            Endpoint = endpoint.BaseUrl?.ToString() ?? $"local:{model.Path ?? model.Name}",
            Model = model.Name,
            CardId = card?.Id,
            OpenWeights = endpoint.Kind == EndpointKind.Local || (card?.IsOpenWeights ?? false),
            Deployment = endpoint.Deployment,
            Prices = card?.Prices,
        };
        return new Contestant(info, Factory.Create(endpoint, model));
    }
}
