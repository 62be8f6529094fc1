using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelRace.Core.Endpoints;
using ModelRace.Providers.Config;
using ModelRace.Providers.Connectors;

namespace ModelRace.Providers;

public enum DoctorStatus { Ok, Warning, Problem }

/// <summary>One line of `modelrace doctor`: what was checked, how it went, and what a newcomer should do about it.</summary>
public sealed record DoctorFinding(string Endpoint, string? Model, DoctorStatus Status, string Summary, string? Advice = null);

/// <summary>
/// Checks every configured endpoint in parallel: key variable set, key accepted, each model offered
/// (GET /models for OpenAI-compatible servers, a 1-token request otherwise), and whether costs can be computed.
/// </summary>
public sealed class EndpointDoctor(EndpointClientFactory factory)
{
    private static readonly TimeSpan MaxProbeTime = TimeSpan.FromSeconds(20);

    public async Task<IReadOnlyList<DoctorFinding>> CheckAllAsync(CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(factory.Config.Endpoints.Select(e => CheckAsync(e, cancellationToken)));
        return results.SelectMany(r => r).ToList();
    }

    public async Task<IReadOnlyList<DoctorFinding>> CheckAsync(EndpointConfig endpoint, CancellationToken cancellationToken)
    {
        var findings = new List<DoctorFinding>();
        try
        {
            if (endpoint.Kind == EndpointKind.Local) findings.AddRange(CheckLocal(endpoint));
            else
            {
                factory.ApiKey(endpoint); // throws MissingKey naming the variable
                findings.AddRange(endpoint.Kind == EndpointKind.OpenAICompatible
                    ? await CheckModelListAsync(endpoint, cancellationToken)
                    : await Task.WhenAll(endpoint.Models.Select(m => ProbeAsync(endpoint, m, cancellationToken))));
            }
        }
        catch (EndpointException e)
        {
            findings.Add(Failure(endpoint, null, e));
        }
        foreach (var model in endpoint.Models)
        {
            if (factory.PriceFor(endpoint, model).UnknownReason is { } reason)
                findings.Add(new DoctorFinding(endpoint.Name, model.Name, DoctorStatus.Warning, "cost will be reported as unknown",
                    $"ModelRace cannot price this model: {reason}. Races still run; only the cost column stays empty."));
        }
        return findings;
    }

    private IEnumerable<DoctorFinding> CheckLocal(EndpointConfig endpoint)
    {
        foreach (var model in endpoint.Models)
        {
            var path = model.Path is { } p && p.StartsWith("~/", StringComparison.Ordinal)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), p[2..]) : model.Path;
            yield return path is not null && File.Exists(path)
                ? new DoctorFinding(endpoint.Name, model.Name, DoctorStatus.Ok, $"model file found: {path}")
                : new DoctorFinding(endpoint.Name, model.Name, DoctorStatus.Problem, $"model file not found: {path}",
                    "A local endpoint loads a GGUF file from this machine. Download the file, or fix its path: in modelrace.yaml.");
        }
    }

    /// <summary>OpenAI-compatible servers list their models at GET /models; servers without that route get a 1-token probe.</summary>
    private async Task<IEnumerable<DoctorFinding>> CheckModelListAsync(EndpointConfig endpoint, CancellationToken cancellationToken)
    {
        var context = new EndpointContext(endpoint, endpoint.Models[0].Name);
        using var http = factory.CreateHttpClient(context);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Shorter(endpoint.Limits.Timeout, MaxProbeTime));
        var url = new Uri(endpoint.BaseUrl!.ToString().TrimEnd('/') + "/models");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (factory.ApiKey(endpoint) is { } key) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);

        HashSet<string> offered;
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            offered = ParseModelIds(body) ?? throw new EndpointException(EndpointErrorKind.MalformedResponse, endpoint.Name,
                $"endpoint '{endpoint.Name}': GET {url} did not return a model list: {WireGuardHandler.Quote(body.Length > 200 ? body[..200] : body)}");
        }
        catch (EndpointException e) when (e.Kind == EndpointErrorKind.ModelNotFound)
        {
            // No /models route (some servers lack it): fall back to asking each model for one token.
            return await Task.WhenAll(endpoint.Models.Select(m => ProbeAsync(endpoint, m, cancellationToken)));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EndpointException(EndpointErrorKind.Timeout, endpoint.Name, $"endpoint '{endpoint.Name}': no reply from {url} within {Shorter(endpoint.Limits.Timeout, MaxProbeTime).TotalSeconds:0.#} s");
        }

        return endpoint.Models.Select(m => offered.Count == 0 || offered.Contains(m.Name)
            ? new DoctorFinding(endpoint.Name, m.Name, DoctorStatus.Ok, offered.Count == 0 ? "key accepted (the server lists no models)" : "key accepted, model offered")
            : new DoctorFinding(endpoint.Name, m.Name, DoctorStatus.Problem, $"endpoint '{endpoint.Name}' does not offer model '{m.Name}'",
                $"The key works, but this server has no model called '{m.Name}'. Check the spelling in modelrace.yaml; " +
                $"it offers, among others: {string.Join(", ", offered.Order(StringComparer.Ordinal).Take(8))}."));
    }

    private static HashSet<string>? ParseModelIds(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                return null;
            return data.EnumerateArray()
                .Select(m => m.ValueKind == JsonValueKind.Object && m.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null)
                .OfType<string>().ToHashSet(StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The smallest real request: one token, through connector and guard only (no retries, cache or limits).</summary>
    private async Task<DoctorFinding> ProbeAsync(EndpointConfig endpoint, EndpointModel model, CancellationToken cancellationToken)
    {
        try
        {
            var short_ = endpoint with { Limits = endpoint.Limits with { Timeout = Shorter(endpoint.Limits.Timeout, MaxProbeTime) } };
            using var client = factory.CreateGuarded(short_, model);
            await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Reply with OK.")], new ChatOptions { MaxOutputTokens = 1 }, cancellationToken);
            return new DoctorFinding(endpoint.Name, model.Name, DoctorStatus.Ok, "key accepted, model answered a 1-token request");
        }
        catch (EndpointException e)
        {
            return Failure(endpoint, model.Name, e);
        }
    }

    private static TimeSpan Shorter(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public static DoctorFinding Failure(EndpointConfig endpoint, string? model, EndpointException e)
    {
        var url = endpoint.BaseUrl?.ToString() ?? "";
        var env = endpoint.ApiKeyEnv ?? "(none)";
        var (status, advice) = e.Kind switch
        {
            EndpointErrorKind.MissingKey => (DoctorStatus.Problem,
                $"This endpoint needs an API key, read from the environment variable {env}, which is empty. Create a key in the provider's " +
                $"web console, then run `export {env}=<your key>` in this shell (add it to ~/.bashrc or similar to keep it)."),
            EndpointErrorKind.Unauthorized => (DoctorStatus.Problem,
                $"The provider refused the key found in {env}. It may be mistyped, revoked, expired, or a key for a different provider. " +
                $"Create a new key and export it again as {env}."),
            EndpointErrorKind.ModelNotFound => (DoctorStatus.Problem,
                "The server has no model by this name. Check the spelling in modelrace.yaml against the provider's model list."),
            EndpointErrorKind.Unreachable => (DoctorStatus.Problem,
                $"Nothing answered at {url}. If this is a server on your machine (Ollama, vLLM, llama.cpp, LM Studio), start it; " +
                "otherwise check base_url, your network and any proxy."),
            EndpointErrorKind.Timeout => (DoctorStatus.Problem,
                $"The server at {url} did not answer in time. It may be overloaded or still loading the model; try again, or raise limits.timeout."),
            EndpointErrorKind.RateLimited => (DoctorStatus.Warning,
                "The key was accepted, but the provider is limiting requests right now. Often this means no credit left or a free-tier limit: check your plan and billing."),
            EndpointErrorKind.ServerError => (DoctorStatus.Warning,
                "The provider had an internal error. This is usually temporary; try again in a few minutes."),
            EndpointErrorKind.MalformedResponse => (DoctorStatus.Problem,
                $"Something answered at {url}, but not with the API ModelRace expected. Check that base_url points at the API itself " +
                "(OpenAI-compatible servers usually end in /v1) and that kind: matches the provider."),
            EndpointErrorKind.NotSupported => (DoctorStatus.Problem, "This kind of endpoint is not available in this build of ModelRace."),
            _ => (DoctorStatus.Problem, "The server refused the test request; its own explanation is quoted above."),
        };
        return new DoctorFinding(endpoint.Name, model, status, e.Message, advice);
    }
}
