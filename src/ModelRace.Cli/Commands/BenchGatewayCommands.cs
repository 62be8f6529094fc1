using System.CommandLine;
using System.Globalization;
using ModelRace.Gateway;
using ModelRace.Gateway.Bench;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace bench-gateway`: the latency the gateway adds and its throughput, against an instant fake upstream on loopback.</summary>
internal static class BenchGatewayCommands
{
    public static Command Create(CliContext context)
    {
        var rate = new Option<int>("--rate") { Description = "Requests per second for the latency phases.", DefaultValueFactory = _ => 1000 };
        var seconds = new Option<int>("--seconds") { Description = "Length of each measured phase.", DefaultValueFactory = _ => 5 };
        var concurrency = new Option<int>("--concurrency") { Description = "Connections in the max-throughput phase.", DefaultValueFactory = _ => 64 };
        var json = CommonOptions.Json();
        var command = new Command("bench-gateway", "Measure the gateway's added latency (p50/p99) and max req/s, non-streaming and streaming, on loopback.")
        {
            rate, seconds, concurrency, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(rate) <= 0 || parse.GetValue(seconds) <= 0 || parse.GetValue(concurrency) <= 0)
                throw new CliException("--rate, --seconds and --concurrency must be above 0");
            var directory = Directory.CreateTempSubdirectory("modelrace-bench-gateway-").FullName;
            try
            {
                await using var upstream = await InstantUpstream.StartAsync();
                var configPath = Path.Combine(directory, "modelrace.yaml");
                await File.WriteAllTextAsync(configPath, $"""
                    endpoints:
                      - name: instant
                        kind: openai-compatible
                        base_url: {upstream.BaseUrl}
                        deployment: private
                        models: [m]
                        price: {"{"} input: 0, output: 0 {"}"}
                    routes:
                      - {"{"} name: bench, targets: [instant/m] {"}"}
                    """, cancellationToken);
                await using var gateway = await GatewayServer.StartAsync(new GatewayOptions
                {
                    ConfigPath = configPath, DatabasePath = Path.Combine(directory, "bench.db"), Port = 0, NoAuth = true,
                }, cancellationToken);
                using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(10) });
                var bench = new GatewayBenchmark(http, new Uri(upstream.BaseUrl + "/"), new Uri(gateway.BaseAddress, "v1/"), "bench");
                var reports = new List<GatewayBenchReport>();
                foreach (var streaming in new[] { false, true })
                {
                    context.Console.MarkupLine($"Measuring {(streaming ? "streaming" : "non-streaming")}…");
                    reports.Add(await bench.RunAsync(streaming, parse.GetValue(rate), TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(concurrency), cancellationToken));
                }
                if (parse.GetValue(json)) CommonOptions.WriteJson(context, reports.Select(r => new { r.Streaming, r.AddedP50Ms, r.AddedP99Ms, r.Direct, r.ViaGateway, r.MaxThroughput, MaxRequestsPerSecond = r.MaxThroughput.RequestsPerSecond }));
                else Render(context, reports, Environment.ProcessorCount);
            }
            finally
            {
                try { Directory.Delete(directory, recursive: true); }
                catch (IOException) { }
            }
            return 0;
        });
        return command;
    }

    private static void Render(CliContext context, List<GatewayBenchReport> reports, int cores)
    {
        var table = new Table().AddColumns("Mode", "Phase", "Requests", "Errors", "req/s", "p50 ms", "p99 ms");
        foreach (var r in reports)
        {
            var mode = r.Streaming ? "stream" : "non-stream";
            foreach (var phase in new[] { r.Direct, r.ViaGateway, r.MaxThroughput })
                table.AddRow(mode, phase.Name, phase.Requests.ToString(CultureInfo.InvariantCulture), phase.Errors.ToString(CultureInfo.InvariantCulture),
                    phase.RequestsPerSecond.ToString("0", CultureInfo.InvariantCulture), phase.P50Ms.ToString("0.000", CultureInfo.InvariantCulture), phase.P99Ms.ToString("0.000", CultureInfo.InvariantCulture));
            table.AddRow(mode, "[bold]added by gateway[/]", "", "", "", r.AddedP50Ms.ToString("0.000", CultureInfo.InvariantCulture), r.AddedP99Ms.ToString("0.000", CultureInfo.InvariantCulture));
        }
        context.Console.Write(table);
        context.Console.MarkupLine($"Load generator, gateway and upstream share this machine's {cores} cores (and any other load on it).");
    }
}
