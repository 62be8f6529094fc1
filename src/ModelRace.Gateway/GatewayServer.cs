using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelRace.Catalog;
using ModelRace.Gateway.Config;
using ModelRace.Gateway.Keys;
using ModelRace.Gateway.Metrics;
using ModelRace.Gateway.Routing;
using ModelRace.Gateway.Usage;
using ModelRace.Gateway.Wire;
using ModelRace.Providers;
using ModelRace.Storage;

namespace ModelRace.Gateway;

public sealed record GatewayOptions
{
    public required string ConfigPath { get; init; }
    public required string DatabasePath { get; init; }
    public ModelCatalog Catalog { get; init; } = ModelCatalog.BuiltInOnly();
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>Development only: serve without keys. Refused unless asked for explicitly.</summary>
    public bool NoAuth { get; init; }
    public EndpointClientOptions? ClientOptions { get; init; }
    public TimeSpan ReloadDebounce { get; init; } = TimeSpan.FromMilliseconds(300);
    public ILoggerProvider? LoggerProvider { get; init; }
    /// <summary>Log reloads, refusals and usage-log trouble to stderr (the `serve` command turns this on).</summary>
    public bool ConsoleLogging { get; init; }
    /// <summary>Replaces the upstream registry (tests, benchmarks); by default built from the config through the Providers factory.</summary>
    public Func<GatewayConfig, IUpstreamRegistry>? RegistryFactory { get; init; }
}

/// <summary>The running gateway: Kestrel, the endpoints, and the runtime behind them. Dispose flushes the usage log.</summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _disposed;

    private GatewayServer(WebApplication app, GatewayRuntime runtime)
    {
        _app = app;
        Runtime = runtime;
    }

    public GatewayRuntime Runtime { get; }
    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<GatewayServer> StartAsync(GatewayOptions options, CancellationToken cancellationToken = default)
    {
        var config = GatewayConfigLoader.LoadFile(options.ConfigPath, options.Catalog);
        var store = SqliteStore.Open(options.DatabasePath);
        KeyCache? keys = null;
        if (!options.NoAuth)
        {
            keys = KeyCache.Open(store);
            if (keys.Count == 0)
                throw new InvalidOperationException($"no gateway keys exist in {store.Path}: create one with `modelrace keys create NAME`, or pass --no-auth to serve without keys for local development");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (options.LoggerProvider is not null) builder.Logging.AddProvider(options.LoggerProvider);
        if (options.ConsoleLogging)
        {
            builder.Logging.AddSimpleConsole(c => c.SingleLine = true);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Parse(options.Host == "localhost" ? "127.0.0.1" : options.Host), options.Port);
            k.Limits.MaxRequestBodySize = config.Settings.MaxBodyBytes;
            k.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(10));
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ModelRace.Gateway");

        var registryFactory = options.RegistryFactory ?? (c => new FactoryUpstreamRegistry(c, options.Catalog, options.ClientOptions));
        var watcher = new ConfigWatcher(options.ConfigPath, config, options.Catalog, registryFactory, logger, options.ReloadDebounce);
        var usage = new UsageWriter(store, logger, () => watcher.Current.Config.Settings.UsageRetentionDays);
        var latencies = new LatencyTracker();
        var runtime = new GatewayRuntime(watcher, keys, new BudgetLedger((id, now) => UsageWriter.SpentBy(store, id, now)), usage,
            new Router(latencies, new SqliteRaceScores(store)), latencies, new GatewayMetrics(), logger);
        Map(app, runtime);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await usage.DisposeAsync();
            watcher.Dispose();
            throw;
        }
        var server = new GatewayServer(app, runtime);
        var address = app.Urls.First();
        server.BaseAddress = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal) + "/");
        return server;
    }

    private static void Map(WebApplication app, GatewayRuntime runtime)
    {
        var pipeline = new ChatPipeline(runtime);
        app.MapPost("/v1/chat/completions", (HttpContext http) => pipeline.HandleAsync(http, OpenAIChatWire.Instance));
        app.MapPost("/v1/messages", (HttpContext http) => pipeline.HandleAsync(http, AnthropicChatWire.Instance));
        app.MapGet("/v1/models", (HttpContext http) => ModelsAsync(http, runtime));
        app.MapGet("/health", () => Results.Json(new { status = "ok", config_generation = runtime.Watcher.Current.Generation, last_reload_error = runtime.Watcher.LastError }));
        app.MapGet("/metrics", () => Results.Text(runtime.Metrics.Render(), "text/plain; version=0.0.4"));
    }

    private static async Task ModelsAsync(HttpContext http, GatewayRuntime runtime)
    {
        GatewayKey? key;
        try { key = runtime.Authenticate(http.Request); }
        catch (GatewayRequestException e)
        {
            await OpenAIChatWire.Instance.WriteErrorAsync(http.Response, e.Status, e.Type, e.Code, e.Message);
            return;
        }
        var snapshot = runtime.Watcher.Current;
        var names = snapshot.Config.Routes.Select(r => (Id: r.Name, Owner: "modelrace-route")).ToList();
        if (snapshot.Config.Settings.AllowDirect) names.AddRange(snapshot.Registry.All().Select(u => (u.Id, Owner: u.Endpoint)));
        http.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        foreach (var (id, owner) in names.Where(n => key is null || key.Allows(n.Id)))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("object", "model");
            json.WriteNumber("created", 0);
            json.WriteString("owned_by", owner);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Resolves when the host stops (Ctrl-C or StopAsync).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops taking requests, lets in-flight ones finish, then writes every queued usage row.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _app.StopAsync();
        await Runtime.Usage.DisposeAsync();
        Runtime.Watcher.Dispose();
        await _app.DisposeAsync();
    }
}
