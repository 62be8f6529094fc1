using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ModelRace.Local.Tests;

/// <summary>
/// A Hugging Face hub on 127.0.0.1 with the real URL layout: the tree API (paged, with lfs.oid), resolve URLs that
/// redirect LFS files to a CDN path with X-Linked-Etag, Range support, and 401 with X-Error-Code for gated or missing repos.
/// </summary>
public sealed class HubFakeServer : IAsyncDisposable
{
    public sealed record FakeRepo(Dictionary<string, byte[]> Files)
    {
        public string? RequiredToken { get; init; }
        /// <summary>Published SHA-256 per file when it should differ from the content's (to provoke a mismatch).</summary>
        public Dictionary<string, string> PublishedSha { get; init; } = new();
        public bool OmitLfsInTree { get; init; }
    }

    public sealed record SeenRequest(string Method, string Path, string? Authorization, string? Range);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _cdn = new();

    public Dictionary<string, FakeRepo> Repos { get; } = new();
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();
    public int TreePageSize { get; set; } = 2;
    /// <summary>Answer range requests with the whole file (200), as some mirrors and proxies do.</summary>
    public bool IgnoreRange { get; set; }
    public string Endpoint { get; private set; } = "";

    private HubFakeServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            Requests.Enqueue(new SeenRequest(context.Request.Method, context.Request.Path.Value ?? "",
                context.Request.Headers.Authorization.FirstOrDefault(), context.Request.Headers.Range.FirstOrDefault()));
            await next(context);
        });
        _app.MapGet("/api/models/{owner}/{name}/tree/{rev}", Tree);
        _app.MapMethods("/{owner}/{name}/resolve/{rev}/{**path}", ["GET", "HEAD"], Resolve);
        _app.MapGet("/cdn/{key}", (string key) => _cdn.TryGetValue(key, out var bytes)
            ? Results.Bytes(bytes, "application/octet-stream", enableRangeProcessing: !IgnoreRange) : Results.NotFound());
    }

    public static async Task<HubFakeServer> StartAsync()
    {
        var server = new HubFakeServer();
        await server._app.StartAsync();
        server.Endpoint = server._app.Urls.First().TrimEnd('/');
        return server;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private IResult Tree(string owner, string name, string rev, HttpContext context)
    {
        if (!Repos.TryGetValue($"{owner}/{name}", out var repo)) return RepoNotFound(context);
        var start = int.TryParse(context.Request.Query["cursor"], out var cursor) ? cursor : 0;
        var entries = repo.Files.OrderBy(f => f.Key, StringComparer.Ordinal).Skip(start).Take(TreePageSize).Select(f => (object)new Dictionary<string, object?>
        {
            ["type"] = "file",
            ["oid"] = "0123456789abcdef0123456789abcdef01234567",
            ["size"] = f.Value.Length,
            ["path"] = f.Key,
            ["lfs"] = repo.OmitLfsInTree ? null : new Dictionary<string, object?> { ["oid"] = PublishedSha(repo, f.Key), ["size"] = f.Value.Length, ["pointerSize"] = 134 },
        }).ToList();
        if (start + TreePageSize < repo.Files.Count)
            context.Response.Headers.Link = $"<{Endpoint}/api/models/{owner}/{name}/tree/{rev}?recursive=true&cursor={start + TreePageSize}>; rel=\"next\"";
        return Results.Json(entries);
    }

    private IResult Resolve(string owner, string name, string rev, string path, HttpContext context)
    {
        if (!Repos.TryGetValue($"{owner}/{name}", out var repo)) return RepoNotFound(context);
        if (repo.RequiredToken is { } token && context.Request.Headers.Authorization.FirstOrDefault() != $"Bearer {token}")
        {
            context.Response.Headers["X-Error-Code"] = "GatedRepo";
            return Results.Text("Access to this model is restricted", statusCode: 401);
        }
        if (!repo.Files.TryGetValue(path, out var bytes))
        {
            context.Response.Headers["X-Error-Code"] = "EntryNotFound";
            return Results.Text("Entry not found", statusCode: 404);
        }
        var sha = PublishedSha(repo, path);
        var key = Guid.NewGuid().ToString("N");
        _cdn[key] = bytes;
        context.Response.Headers["X-Linked-Etag"] = $"\"{sha}\"";
        context.Response.Headers["X-Linked-Size"] = bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers.ETag = "\"0123456789abcdef0123456789abcdef01234567\"";
        // The CDN is another host, as on the real hub (where it is a separate domain): "localhost" rather than "127.0.0.1".
        return Results.Redirect($"{Endpoint.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)}/cdn/{key}");
    }

    private static string PublishedSha(FakeRepo repo, string path) => repo.PublishedSha.TryGetValue(path, out var sha) ? sha : Sha256(repo.Files[path]);

    private static IResult RepoNotFound(HttpContext context)
    {
        context.Response.Headers["X-Error-Code"] = "RepoNotFound";
        return Results.Text("Repository not found", statusCode: 401);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
