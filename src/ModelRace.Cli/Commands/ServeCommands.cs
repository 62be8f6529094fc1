using System.CommandLine;
using ModelRace.Gateway;
using ModelRace.Providers;
using ModelRace.Providers.Config;
using ModelRace.Storage;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace serve`: the OpenAI- and Anthropic-compatible routing gateway.</summary>
internal static class ServeCommands
{
    public static Command Create(CliContext context)
    {
        var port = new Option<int>("--port") { Description = "Port to listen on.", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "Address to listen on (127.0.0.1 by default; 0.0.0.0 for every interface).", DefaultValueFactory = _ => "127.0.0.1" };
        var config = new Option<string?>("--config") { Description = "modelrace.yaml with endpoints: and routes: (default: ./modelrace.yaml, MODELRACE_CONFIG, ~/.modelrace)." };
        var noAuth = new Option<bool>("--no-auth") { Description = "Development only: serve without gateway keys. Refused otherwise when no keys exist." };
        var db = CommonOptions.Db();
        var catalogDirs = CommonOptions.CatalogDirs();
        var command = new Command("serve", "Run the routing gateway: POST /v1/chat/completions, /v1/messages, GET /v1/models, /health, /metrics.")
        {
            port, host, config, noAuth, db, catalogDirs,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var configPath = Locate(context, parse.GetValue(config));
            var catalog = CommonOptions.LoadCatalog(context, parse.GetValue(catalogDirs));
            var dbOption = parse.GetValue(db) ?? ConfigDatabase(configPath);
            GatewayServer server;
            try
            {
                server = await GatewayServer.StartAsync(new GatewayOptions
                {
                    ConfigPath = configPath, DatabasePath = CommonOptions.DatabasePath(context, dbOption), Catalog = catalog,
                    Host = parse.GetValue(host)!, Port = parse.GetValue(port), NoAuth = parse.GetValue(noAuth), ConsoleLogging = true,
                    ClientOptions = new EndpointClientOptions { GetEnvironmentVariable = context.GetEnvironmentVariable },
                }, cancellationToken);
            }
            catch (Exception e) when (e is ConfigException or StoreException or InvalidOperationException or IOException)
            {
                throw new CliException(e.Message);
            }
            await using (server)
            {
                var snapshot = server.Runtime.Watcher.Current.Config;
                context.Console.MarkupLine($"ModelRace gateway on [bold]{Markup.Escape(server.BaseAddress.ToString())}[/] — " +
                                           $"{snapshot.Routes.Count} routes, {snapshot.Endpoints.Endpoints.Count} endpoints, config {Markup.Escape(configPath)} (watched for changes)" +
                                           (parse.GetValue(noAuth) ? " [yellow]--no-auth: no key needed[/]" : ""));
                try { await Task.Delay(Timeout.Infinite, cancellationToken); }
                catch (OperationCanceledException) { }
                context.Console.MarkupLine("Stopping: finishing requests in flight and writing the usage log…");
            }
            return 0;
        });
        return command;
    }

    private static string Locate(CliContext context, string? explicitPath)
    {
        try { return ConfigLocator.Locate(explicitPath, context.GetEnvironmentVariable, context.WorkingDirectory, context.HomeDirectory); }
        catch (ConfigException e) { throw new CliException(e.Message); }
    }

    /// <summary>The config's database: entry, relative to the config file.</summary>
    private static string? ConfigDatabase(string configPath)
    {
        try
        {
            return ConfigLoader.LoadFile(configPath).Database is { } db ? Path.Combine(Path.GetDirectoryName(configPath)!, db) : null;
        }
        catch (ConfigException e) { throw new CliException(e.Message); }
    }
}
