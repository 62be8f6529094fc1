using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Data.Sqlite;
using ModelRace.Gateway.Keys;
using ModelRace.Storage;
using OpenAI;
using OpenAI.Chat;

namespace ModelRace.Gateway.Tests;

/// <summary>A gateway on a free loopback port with its own config file and database in a temp directory.</summary>
public sealed class GatewayHarness : IAsyncDisposable
{
    private readonly List<FakeUpstream> _upstreams = [];

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("modelrace-gateway-").FullName;
    public string ConfigPath => Path.Combine(Directory, "modelrace.yaml");
    public string DatabasePath => Path.Combine(Directory, "modelrace.db");
    public GatewayServer? Server { get; private set; }
    public Uri BaseAddress => Server!.BaseAddress;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task<FakeUpstream> UpstreamAsync(string reply)
    {
        var fake = await FakeUpstream.StartAsync(reply);
        _upstreams.Add(fake);
        return fake;
    }

    /// <summary>An endpoint entry for a fake: one model `m`, priced $1/$2 per 1M tokens.</summary>
    public static string Endpoint(string name, FakeUpstream fake, string deployment = "external", string price = "{ input: 1, output: 2 }") => $"""
          - name: {name}
            kind: openai-compatible
            base_url: {fake.BaseUrl}
            deployment: {deployment}
            models: [m]
            price: {price}

        """;

    public async Task StartAsync(string endpoints, string routes, bool noAuth = true, string gatewaySection = "")
    {
        await File.WriteAllTextAsync(ConfigPath, $"endpoints:\n{endpoints}\nroutes:\n{routes}\n{gatewaySection}");
        Server = await GatewayServer.StartAsync(new GatewayOptions
        {
            ConfigPath = ConfigPath, DatabasePath = DatabasePath, Port = 0, NoAuth = noAuth, ReloadDebounce = TimeSpan.FromMilliseconds(100),
        });
    }

    public (GatewayKey Key, string Secret) CreateKey(NewKeyRequest request) => new KeyStore(SqliteStore.Open(DatabasePath)).Create(request);

    /// <summary>The official OpenAI SDK pointed at the gateway, with its own retries off so that each call is one request.</summary>
    public ChatClient Client(string model, string key = "mr-no-auth") => new(model, new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(BaseAddress, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    public long Scalar(string sql)
    {
        using var connection = SqliteStore.Open(DatabasePath).OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        foreach (var upstream in _upstreams) await upstream.DisposeAsync();
        Http.Dispose();
        SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
