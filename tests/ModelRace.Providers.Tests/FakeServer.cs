using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ModelRace.Providers.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 and a free port, answering with whatever the test scripts.</summary>
public sealed class FakeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Received(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    public ConcurrentQueue<Received> Requests { get; } = new();
    public Uri Root { get; private set; } = null!;

    private FakeServer(WebApplication app) => _app = app;

    public static async Task<FakeServer> StartAsync(Func<HttpContext, Received, Task> handle)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeServer(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var received = new Received(context.Request.Method, context.Request.Path, context.Request.QueryString.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body);
            server.Requests.Enqueue(received);
            await handle(context, received);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Root = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return server;
    }

    /// <summary>A server that answers every request the same way.</summary>
    public static Task<FakeServer> StartAsync(int status, string body, string contentType = "application/json", IDictionary<string, string>? headers = null) =>
        StartAsync((context, _) => Reply(context, status, body, contentType, headers));

    public static async Task Reply(HttpContext context, int status, string body, string contentType = "application/json", IDictionary<string, string>? headers = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) context.Response.Headers[name] = value;
        await context.Response.WriteAsync(body);
    }

    /// <summary>Writes SSE events one by one, flushing each, as a streaming API does.</summary>
    public static async Task Stream(HttpContext context, IEnumerable<string> events, bool abortAtEnd = false)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        foreach (var e in events)
        {
            await context.Response.WriteAsync(e);
            await context.Response.Body.FlushAsync();
        }
        if (abortAtEnd)
        {
            await Task.Delay(20);
            context.Abort();
        }
    }

    public Uri At(string path) => new(Root, path);

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}

/// <summary>A port on loopback where nothing listens, for connection-refused tests.</summary>
public static class ClosedPort
{
    public static Uri Url()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/v1/");
    }
}
