using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelRace.Race.Suites;

namespace ModelRace.Race.Tests;

public sealed class HuggingFaceHubTests : IAsyncDisposable
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 200).Select(i =>
        $"{{\"question\": \"What is {i} plus {i}?\", \"answer\": \"{i}+{i}={2 * i}\\n#### {2 * i}\"}}\n")));

    private readonly string _cache = Directory.CreateTempSubdirectory("modelrace-hf-").FullName;
    private readonly List<(string Path, string? Range, string? Authorization)> _requests = [];
    private WebApplication? _app;
    private bool _cutFirstResponse;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        Directory.Delete(_cache, recursive: true);
    }

    /// <summary>A server in the hub's layout: /datasets/{owner}/{name}/resolve/{revision}/{path}, honouring Range.</summary>
    private async Task<string> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/datasets/{owner}/{name}/resolve/{revision}/{**path}", async (HttpContext http, string owner, string name, string revision, string path) =>
        {
            lock (_requests) _requests.Add((http.Request.Path, http.Request.Headers.Range.ToString() is { Length: > 0 } r ? r : null, http.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null));
            if (owner != "acme" || name != "math" || revision != "v1" || path != "data/test.jsonl") { http.Response.StatusCode = 404; return; }
            if (http.Request.Headers.Authorization != "Bearer hf_secret") { http.Response.StatusCode = 401; return; }
            var start = 0;
            if (http.Request.Headers.Range.ToString() is { Length: > 0 } range)
            {
                start = int.Parse(range["bytes=".Length..].TrimEnd('-'), System.Globalization.CultureInfo.InvariantCulture);
                http.Response.StatusCode = 206;
                http.Response.Headers.ContentRange = $"bytes {start}-{Content.Length - 1}/{Content.Length}";
            }
            if (_cutFirstResponse)
            {
                _cutFirstResponse = false;
                http.Response.ContentLength = Content.Length;
                await http.Response.Body.WriteAsync(Content.AsMemory(0, 1000));
                await http.Response.Body.FlushAsync();
                // Give the client time to store what it got: an immediate reset could discard it unread.
                await Task.Delay(300);
                http.Abort(); // the connection drops mid-download
                return;
            }
            http.Response.ContentLength = Content.Length - start;
            await http.Response.Body.WriteAsync(Content.AsMemory(start));
        });
        await _app.StartAsync();
        return _app.Urls.First();
    }

    private HuggingFaceHub Hub(string endpoint, string? token = "hf_secret") =>
        new(new HttpClient(), _cache, name => name switch { "HF_ENDPOINT" => endpoint, "HF_TOKEN" => token, _ => null });

    [Fact]
    public async Task DownloadsResumesWithRangeAndCaches()
    {
        var endpoint = await StartAsync();
        _cutFirstResponse = true;
        var hub = Hub(endpoint);
        await Assert.ThrowsAnyAsync<Exception>(() => hub.DownloadAsync("hf://acme/math@v1/data/test.jsonl", default));
        var partial = Directory.GetFiles(_cache, "*.part", SearchOption.AllDirectories).Single();
        Assert.Equal(1000, new FileInfo(partial).Length);

        var path = await hub.DownloadAsync("hf://acme/math@v1/data/test.jsonl", default);
        Assert.Equal(Content, await File.ReadAllBytesAsync(path));
        Assert.Equal("bytes=1000-", _requests[1].Range);
        Assert.All(_requests, r => Assert.Equal("Bearer hf_secret", r.Authorization));
        Assert.Equal("/datasets/acme/math/resolve/v1/data/test.jsonl", _requests[0].Path);

        Assert.Equal(path, await hub.DownloadAsync("hf://acme/math@v1/data/test.jsonl", default));
        Assert.Equal(2, _requests.Count); // served from the cache

        var suite = await new SuiteResolver(hub).ResolveAsync("gsm8k:hf://acme/math@v1/data/test.jsonl", default);
        Assert.Equal(200, suite.Items.Count);
    }

    [Fact]
    public async Task ClearErrorsForMissingTokenAndMissingFile()
    {
        var endpoint = await StartAsync();
        var denied = await Assert.ThrowsAsync<SuiteException>(() => Hub(endpoint, token: null).DownloadAsync("hf://acme/math@v1/data/test.jsonl", default));
        Assert.Contains("HF_TOKEN", denied.Message);
        var missing = await Assert.ThrowsAsync<SuiteException>(() => Hub(endpoint).DownloadAsync("hf://acme/math/data/test.jsonl", default));
        Assert.Contains("404", missing.Message);
        Assert.Contains("/resolve/main/", missing.Message);
    }

    [Theory]
    [InlineData("hf://openai/gsm8k@main/main/test.jsonl", "openai/gsm8k", "main", "main/test.jsonl")]
    [InlineData("hf://allenai/ai2_arc/ARC-Easy/test.jsonl", "allenai/ai2_arc", "main", "ARC-Easy/test.jsonl")]
    public void ParsesHubSpecs(string spec, string repo, string revision, string path) =>
        Assert.Equal(new HuggingFaceHub.HubFile(repo, revision, path), HuggingFaceHub.Parse(spec));

    [Theory]
    [InlineData("hf://only-owner")]
    [InlineData("hf://a/b/../../etc/passwd")]
    public void RejectsBadSpecs(string spec) => Assert.Throws<SuiteException>(() => HuggingFaceHub.Parse(spec));

    [Fact]
    public void CacheRootHonoursModelRaceHome() =>
        Assert.Equal(Path.Combine("/tmp/mr", "cache"), HuggingFaceHub.DefaultCacheRoot(n => n == "MODELRACE_HOME" ? "/tmp/mr" : null));
}
