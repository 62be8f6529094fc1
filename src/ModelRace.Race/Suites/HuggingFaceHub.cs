using System.Net;
using System.Net.Http.Headers;

namespace ModelRace.Race.Suites;

/// <summary>
/// Downloads dataset files from the Hugging Face hub: {HF_ENDPOINT or https://huggingface.co}/datasets/{repo}/resolve/{revision}/{path},
/// with HF_TOKEN as a bearer token when set. Files are cached under {cacheRoot}/hf/...; an interrupted download
/// leaves a .part file that the next attempt resumes with an HTTP Range request.
/// </summary>
public sealed class HuggingFaceHub(HttpClient http, string cacheRoot, Func<string, string?> getEnvironmentVariable)
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>MODELRACE_HOME/cache when set, else ~/.cache/modelrace.</summary>
    public static string DefaultCacheRoot(Func<string, string?> getEnvironmentVariable) =>
        getEnvironmentVariable("MODELRACE_HOME") is { Length: > 0 } home ? Path.Combine(home, "cache")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "modelrace");

    public sealed record HubFile(string Repo, string Revision, string Path);

    /// <summary>Parses hf://OWNER/NAME[@REVISION]/FILE (revision defaults to main).</summary>
    public static HubFile Parse(string spec)
    {
        if (!spec.StartsWith("hf://", StringComparison.Ordinal)) throw new SuiteException($"'{spec}' does not start with hf://");
        var parts = spec["hf://".Length..].Split('/', 3);
        if (parts.Length < 3 || parts.Any(p => p.Length == 0))
            throw new SuiteException($"'{spec}': expected hf://OWNER/NAME[@REVISION]/FILE, e.g. hf://openai/gsm8k@main/main/test.jsonl");
        var name = parts[1];
        var revision = "main";
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0) (name, revision) = (name[..at], name[(at + 1)..]);
        if (parts[2].Split('/').Any(segment => segment is ".." or "."))
            throw new SuiteException($"'{spec}': the file path may not contain . or .. segments");
        return new HubFile($"{parts[0]}/{name}", revision, parts[2]);
    }

    public Uri UrlFor(HubFile file)
    {
        var endpoint = (getEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e : DefaultEndpoint).TrimEnd('/');
        var path = string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString));
        return new Uri($"{endpoint}/datasets/{file.Repo}/resolve/{Uri.EscapeDataString(file.Revision)}/{path}");
    }

    /// <summary>Returns the local path of the file, downloading it unless it is already cached.</summary>
    public async Task<string> DownloadAsync(string spec, CancellationToken cancellationToken)
    {
        var file = Parse(spec);
        var target = Path.Combine([cacheRoot, "hf", .. file.Repo.Split('/'), file.Revision, .. file.Path.Split('/')]);
        if (File.Exists(target)) return target;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var part = target + ".part";
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;

        using var request = new HttpRequestMessage(HttpMethod.Get, UrlFor(file));
        if (getEnvironmentVariable("HF_TOKEN") is { Length: > 0 } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                throw new SuiteException($"{request.RequestUri}: access denied ({(int)response.StatusCode}); gated datasets need HF_TOKEN set to a token that accepted the dataset's terms");
            case HttpStatusCode.NotFound:
                throw new SuiteException($"{request.RequestUri}: not found (404); check the repository, revision and file path");
            case HttpStatusCode.RequestedRangeNotSatisfiable:
                File.Delete(part); // the .part is stale or already complete but unverifiable; start over next time
                throw new SuiteException($"{request.RequestUri}: the partial download could not be resumed; run again to start it over");
        }
        if (!response.IsSuccessStatusCode) throw new SuiteException($"{request.RequestUri}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        var append = response.StatusCode == HttpStatusCode.PartialContent;
        await using (var output = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write))
        await using (var input = await response.Content.ReadAsStreamAsync(cancellationToken))
            await input.CopyToAsync(output, cancellationToken);
        File.Move(part, target, overwrite: true);
        return target;
    }
}
