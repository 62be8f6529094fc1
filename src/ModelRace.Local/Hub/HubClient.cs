using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace ModelRace.Local.Hub;

/// <summary>
/// Lists and downloads files of Hugging Face hub repositories. Downloads go to a .part file, resume with a Range
/// request, and reach their final name only once the SHA-256 the hub publishes for the file matches.
/// </summary>
public sealed class HubClient
{
    private const int MaxRedirects = 10;
    private readonly HttpClient _http;

    public HubOptions Options { get; }

    /// <param name="http">Best built with <see cref="CreateHttpClient"/>: redirects are followed here so that the hub's
    /// own headers (X-Linked-Etag) are seen and the token is not sent on to the CDN.</param>
    public HubClient(HubOptions options, HttpClient http)
    {
        Options = options;
        _http = http;
    }

    public static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(20) }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>All files of a repository at a revision, from the tree API (recursive, following its pagination).</summary>
    public async Task<IReadOnlyList<HubFile>> ListFilesAsync(string repo, string revision = "main", CancellationToken cancellationToken = default)
    {
        var files = new List<HubFile>();
        Uri? next = new($"{Options.Endpoint}/api/models/{repo}/tree/{Uri.EscapeDataString(revision)}?recursive=true");
        for (var page = 0; next is not null && page < 1000; page++)
        {
            var (response, _) = await SendAsync(next, rangeStart: 0, HttpMethod.Get, cancellationToken);
            using (response)
            {
                if (!response.IsSuccessStatusCode) throw ErrorFor(response, repo, file: null);
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
                if (json.RootElement.ValueKind != JsonValueKind.Array)
                    throw new HubException(HubErrorKind.Http, $"{Options.Endpoint} answered the file listing of {repo} with something other than a JSON array; is HF_ENDPOINT a Hugging Face hub?");
                foreach (var entry in json.RootElement.EnumerateArray())
                {
                    if (entry.TryGetProperty("type", out var type) && type.GetString() != "file") continue;
                    var path = entry.GetProperty("path").GetString()!;
                    var size = entry.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : -1;
                    string? sha = null;
                    if (entry.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                    {
                        sha = lfs.TryGetProperty("oid", out var oid) ? oid.GetString() : lfs.TryGetProperty("sha256", out var sha256) ? sha256.GetString() : null;
                        if (lfs.TryGetProperty("size", out var lfsSize) && lfsSize.TryGetInt64(out var m)) size = m;
                    }
                    files.Add(new HubFile(path, size, NormalizeSha(sha)));
                }
                next = NextPage(response);
            }
        }
        return files;
    }

    /// <summary>Resolves the spec to one file and brings it into the cache (a no-op when it is already there).</summary>
    public async Task<PulledModel> PullAsync(HubModelSpec spec, IProgress<DownloadProgress>? progress = null, Action<HubFile>? beforeDownload = null,
        CancellationToken cancellationToken = default)
    {
        var file = HubFileSelector.Select(spec, await ListFilesAsync(spec.Repo, spec.Revision, cancellationToken));
        var destination = Options.CachePath(spec.Repo, file.Path);
        if (File.Exists(destination) && (file.Size < 0 || new FileInfo(destination).Length == file.Size))
            return new PulledModel(spec.Repo, file, destination, AlreadyCached: true, Verified: file.Sha256 is not null);
        beforeDownload?.Invoke(file);
        var verified = await DownloadAsync(spec.Repo, spec.Revision, file, destination, progress, cancellationToken);
        return new PulledModel(spec.Repo, file, destination, AlreadyCached: false, verified);
    }

    /// <summary>Downloads one file to <paramref name="destination"/>, resuming from destination.part.</summary>
    /// <returns>True when a SHA-256 was checked; false when the hub published none and only the size could be.</returns>
    public async Task<bool> DownloadAsync(string repo, string revision, HubFile file, string destination,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var part = destination + ".part";
        var url = new Uri($"{Options.Endpoint}/{repo}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}");
        var expectedSha = file.Sha256;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        var offset = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (file.Size >= 0 && offset > file.Size) offset = Restart(part, hash);
        else if (offset > 0) await HashExistingAsync(part, hash, cancellationToken);

        if (file.Size < 0 || offset < file.Size)
        {
            var (response, linkedSha) = await SendAsync(url, offset, HttpMethod.Get, cancellationToken);
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset > 0)
                {
                    // The .part no longer fits the file the hub serves: start again from the first byte.
                    response.Dispose();
                    offset = Restart(part, hash);
                    (var fresh, linkedSha) = await SendAsync(url, 0, HttpMethod.Get, cancellationToken);
                    using (fresh) await ReceiveAsync(fresh, repo, file, part, offset, hash, progress, cancellationToken);
                }
                else
                {
                    if (offset > 0 && response.StatusCode == HttpStatusCode.OK) offset = Restart(part, hash); // range ignored: full body follows
                    else if (offset > 0 && response.Content.Headers.ContentRange?.From is { } from && from != offset)
                        throw new HubException(HubErrorKind.Http, $"the hub answered a resume request for {file.Path} at byte {offset} with bytes from {from}");
                    await ReceiveAsync(response, repo, file, part, offset, hash, progress, cancellationToken);
                }
                expectedSha ??= linkedSha;
            }
        }

        var length = new FileInfo(part).Length;
        if (file.Size >= 0 && length != file.Size)
            throw new HubException(HubErrorKind.Http, $"download of {file.Path} stopped at {length} of {file.Size} bytes; run the command again to resume");
        var actualSha = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (expectedSha is not null && !string.Equals(actualSha, expectedSha, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(part);
            throw new HubException(HubErrorKind.ChecksumMismatch,
                $"checksum mismatch for {repo}/{file.Path}: the hub publishes SHA-256 {expectedSha} but the download has {actualSha}. " +
                "The partial file was deleted; run the command again to download it afresh.");
        }
        File.Move(part, destination, overwrite: true);
        return expectedSha is not null;
    }

    private static long Restart(string part, IncrementalHash hash)
    {
        File.Delete(part);
        hash.GetHashAndReset();
        return 0;
    }

    private static async Task HashExistingAsync(string part, IncrementalHash hash, CancellationToken cancellationToken)
    {
        FileStream existing;
        try
        {
            existing = new FileStream(part, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        }
        catch (IOException e)
        {
            throw new HubException(HubErrorKind.Http, $"cannot read {part}: {e.Message}. Is another download of it running?", e);
        }
        await using var _ = existing;
        var buffer = new byte[1 << 20];
        int read;
        while ((read = await existing.ReadAsync(buffer, cancellationToken)) > 0) hash.AppendData(buffer, 0, read);
    }

    private async Task ReceiveAsync(HttpResponseMessage response, string repo, HubFile file, string part, long offset, IncrementalHash hash,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode) throw ErrorFor(response, repo, file.Path);
        var total = file.Size >= 0 ? file.Size : offset + (response.Content.Headers.ContentLength ?? 0);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        FileStream output;
        try
        {
            output = new FileStream(part, offset > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
        }
        catch (IOException e)
        {
            throw new HubException(HubErrorKind.Http, $"cannot write {part}: {e.Message}. Is another download of {file.Path} running?", e);
        }
        await using var _ = output;
        var buffer = new byte[1 << 20];
        var done = offset;
        progress?.Report(new DownloadProgress(file.Path, done, total));
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                hash.AppendData(buffer, 0, read);
                done += read;
                progress?.Report(new DownloadProgress(file.Path, done, total));
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            await output.FlushAsync(CancellationToken.None);
            throw new HubException(HubErrorKind.Offline,
                $"the connection to {Options.Endpoint} broke after {done} of {total} bytes of {file.Path} ({e.Message}); run the command again to resume", e);
        }
    }

    /// <summary>Sends a request and follows redirects itself, remembering the hub's X-Linked-Etag on the way.</summary>
    private async Task<(HttpResponseMessage Response, string? LinkedSha)> SendAsync(Uri url, long rangeStart, HttpMethod method, CancellationToken cancellationToken)
    {
        string? linkedSha = null;
        var hubHost = new Uri(Options.Endpoint).Authority;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, url);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("modelrace", "1.0"));
            if (Options.Token is { } token && string.Equals(url.Authority, hubHost, StringComparison.OrdinalIgnoreCase))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (rangeStart > 0) request.Headers.Range = new RangeHeaderValue(rangeStart, null);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw Offline(url, e);
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw Offline(url, e);
            }
            linkedSha ??= ShaFromHeaders(response);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location && hop < MaxRedirects)
            {
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                response.Dispose();
                continue;
            }
            return (response, linkedSha);
        }
    }

    private HubException Offline(Uri url, Exception e) => new(HubErrorKind.Offline,
        $"cannot reach {url.GetLeftPart(UriPartial.Authority)} ({(e.InnerException as SocketException)?.SocketErrorCode.ToString() ?? e.Message}). " +
        "If you are offline, pass a local GGUF file instead with --model path/to/model.gguf, or set HF_ENDPOINT to a reachable hub mirror.", e);

    private static string? ShaFromHeaders(HttpResponseMessage response)
    {
        foreach (var name in new[] { "X-Linked-Etag", "ETag" })
            if (response.Headers.TryGetValues(name, out var values) && NormalizeSha(values.FirstOrDefault()) is { } sha) return sha;
        return null;
    }

    /// <summary>A 64-hex-digit SHA-256 in lower case, or null when the text is not one (a git SHA-1 ETag, say).</summary>
    private static string? NormalizeSha(string? text)
    {
        if (text is null) return null;
        var trimmed = text.Trim();
        if (trimmed.StartsWith("W/", StringComparison.Ordinal)) trimmed = trimmed[2..];
        trimmed = trimmed.Trim('"');
        return trimmed.Length == 64 && trimmed.All(Uri.IsHexDigit) ? trimmed.ToLowerInvariant() : null;
    }

    private static Uri? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var link in links.SelectMany(l => l.Split(',')))
        {
            var parts = link.Split(';');
            if (parts.Skip(1).Any(p => p.Trim().Equals("rel=\"next\"", StringComparison.OrdinalIgnoreCase) || p.Trim().Equals("rel=next", StringComparison.OrdinalIgnoreCase)))
                return new Uri(parts[0].Trim().TrimStart('<').TrimEnd('>'));
        }
        return null;
    }

    private HubException ErrorFor(HttpResponseMessage response, string repo, string? file)
    {
        var code = response.Headers.TryGetValues("X-Error-Code", out var codes) ? codes.FirstOrDefault() : null;
        var what = file is null ? $"repository {repo}" : $"{file} in {repo}";
        var status = (int)response.StatusCode;
        return (status, code) switch
        {
            (_, "RepoNotFound") => new HubException(HubErrorKind.NotFound,
                $"repository {repo} was not found on {Options.Endpoint} (HTTP {status}). Check the name; if the repository is private or gated, " +
                (Options.Token is null ? "set HF_TOKEN to an access token of an account with access." : "check that HF_TOKEN belongs to an account with access.")),
            (_, "EntryNotFound" or "RevisionNotFound") or (404, _) => new HubException(HubErrorKind.NotFound,
                $"{what} was not found on {Options.Endpoint} (HTTP 404). Check the repository and file names."),
            (_, "GatedRepo") or (401 or 403, _) => new HubException(HubErrorKind.Unauthorized,
                $"the hub refused access to {what} (HTTP {status}). The repository may be gated or private: accept its terms on its huggingface.co page, " +
                $"then {(Options.Token is null ? "set HF_TOKEN to an access token of that account" : "check that HF_TOKEN is valid and belongs to an account with access")}."),
            _ => new HubException(HubErrorKind.Http, $"the hub answered HTTP {status} {response.ReasonPhrase} for {what}."),
        };
    }
}
