using ModelRace.Core.Endpoints;
using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using ModelRace.Catalog;
using ModelRace.Core.Race;
using OpenAI;

namespace ModelRace.Race.Running;

/// <summary>Turns a `--endpoint` argument into a contestant. The CLI depends only on this, so config-file endpoints are one new implementation.</summary>
public interface IContestantResolver
{
    Contestant Resolve(string endpointArgument);
}

/// <summary>
/// Resolves <c>name=base_url[,model=M][,key_env=VAR][,card=ID][,open=true|false][,private=true|false]</c> to an
/// OpenAI-compatible chat client. The model defaults to the name; the key comes from the named environment variable
/// (none is sent when it is not given). The catalog card (by card=ID, else by id or openai deployment equal to the model)
/// supplies prices and openness.
/// </summary>
public sealed class OpenAiEndpointResolver(ModelCatalog catalog, Func<string, string?> getEnvironmentVariable) : IContestantResolver
{
    public Contestant Resolve(string endpointArgument)
    {
        var parts = endpointArgument.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0].IndexOf('=', StringComparison.Ordinal) <= 0)
            throw new ArgumentException($"--endpoint '{endpointArgument}': expected name=base_url[,model=M][,key_env=VAR][,card=ID], e.g. local=http://127.0.0.1:8080/v1,model=qwen2.5-7b");
        var name = parts[0][..parts[0].IndexOf('=', StringComparison.Ordinal)];
        var url = parts[0][(name.Length + 1)..];
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--endpoint '{endpointArgument}': '{url}' is not an http(s) URL");
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in parts.Skip(1))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ArgumentException($"--endpoint '{endpointArgument}': '{part}' is not key=value");
            var key = part[..eq];
            if (key is not ("model" or "key_env" or "card" or "open" or "private"))
                throw new ArgumentException($"--endpoint '{endpointArgument}': unknown setting '{key}' (known: model, key_env, card, open, private)");
            settings[key] = part[(eq + 1)..];
        }
        var model = settings.GetValueOrDefault("model") ?? name;
        string apiKey = "unused";
        if (settings.TryGetValue("key_env", out var keyEnv))
            apiKey = getEnvironmentVariable(keyEnv) is { Length: > 0 } value ? value
                : throw new ArgumentException($"--endpoint {name}: environment variable {keyEnv} is not set; export it with the API key");
        var card = settings.TryGetValue("card", out var cardId)
            ? catalog.Find(cardId) ?? throw new ArgumentException($"--endpoint {name}: no model card with id '{cardId}' (see `modelrace models`)")
            : catalog.Find(model) ?? catalog.FindByDeployment("openai", model);
        var info = new ContestantInfo
        {
            Name = name, Endpoint = baseUri.ToString(), Model = model, CardId = card?.Id,
            OpenWeights = settings.TryGetValue("open", out var open) ? bool.Parse(open) : card?.IsOpenWeights ?? false,
            Deployment = settings.TryGetValue("private", out var priv) && bool.Parse(priv) ? DeploymentClass.Private : DeploymentClass.External,
            Prices = card?.Prices,
        };
        return new Contestant(info, CreateClient(baseUri, model, apiKey));
    }

    public static IChatClient CreateClient(Uri baseUri, string model, string apiKey)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = baseUri,
            // Retries belong to the connector layer; here a failed call must show as an error, not be silently repeated.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromMinutes(5),
        };
        return new OpenAI.Chat.ChatClient(model, new ApiKeyCredential(apiKey), options).AsIChatClient();
    }
}
