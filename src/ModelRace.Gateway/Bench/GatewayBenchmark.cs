using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace ModelRace.Gateway.Bench;

/// <summary>Latency percentiles and throughput of one measured phase.</summary>
public sealed record LoadResult(string Name, int Requests, int Errors, double Seconds, double P50Ms, double P99Ms)
{
    public double RequestsPerSecond => Requests / Seconds;
}

public sealed record GatewayBenchReport(bool Streaming, LoadResult Direct, LoadResult ViaGateway, LoadResult MaxThroughput)
{
    public double AddedP50Ms => ViaGateway.P50Ms - Direct.P50Ms;
    public double AddedP99Ms => ViaGateway.P99Ms - Direct.P99Ms;
}

/// <summary>
/// A bounded load generator on loopback: a fixed request rate (open loop, at most MaxInFlight outstanding) against the
/// instant upstream directly and through the gateway, whose difference is the latency the gateway adds; then a closed
/// loop with fixed concurrency for the most requests per second.
/// </summary>
public sealed class GatewayBenchmark(HttpClient http, Uri directBase, Uri gatewayBase, string route)
{
    public int MaxInFlight { get; init; } = 256;

    public async Task<GatewayBenchReport> RunAsync(bool streaming, int rate, TimeSpan duration, int concurrency, CancellationToken cancellationToken)
    {
        await RunClosedAsync("warm-up", gatewayBase, streaming, concurrency, TimeSpan.FromSeconds(1), cancellationToken);
        await RunClosedAsync("warm-up", directBase, streaming, concurrency, TimeSpan.FromSeconds(1), cancellationToken);
        var direct = await RunOpenAsync("direct", directBase, streaming, rate, duration, cancellationToken);
        var via = await RunOpenAsync("via gateway", gatewayBase, streaming, rate, duration, cancellationToken);
        var max = await RunClosedAsync("max throughput", gatewayBase, streaming, concurrency, duration, cancellationToken);
        return new GatewayBenchReport(streaming, direct, via, max);
    }

    private HttpRequestMessage Request(Uri baseUri, bool streaming)
    {
        var body = streaming
            ? $$"""{"model":"{{route}}","stream":true,"messages":[{"role":"user","content":"hi"}]}"""
            : $$"""{"model":"{{route}}","messages":[{"role":"user","content":"hi"}]}""";
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, "chat/completions")) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return request;
    }

    private async Task<bool> SendAsync(Uri baseUri, bool streaming, CancellationToken cancellationToken)
    {
        try
        {
            using var request = Request(baseUri, streaming);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.IsSuccessStatusCode && (!streaming || text.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal));
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private async Task<LoadResult> RunOpenAsync(string name, Uri baseUri, bool streaming, int rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var latencies = new double[total];
        var errors = 0;
        using var gate = new SemaphoreSlim(MaxInFlight);
        var tasks = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, cancellationToken);
            await gate.WaitAsync(cancellationToken);
            var index = i;
            tasks.Add(Task.Run(async () =>
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    if (!await SendAsync(baseUri, streaming, cancellationToken)) Interlocked.Increment(ref errors);
                    latencies[index] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
                finally { gate.Release(); }
            }, cancellationToken));
        }
        await Task.WhenAll(tasks);
        return Result(name, latencies, errors, clock.Elapsed.TotalSeconds);
    }

    private async Task<LoadResult> RunClosedAsync(string name, Uri baseUri, bool streaming, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var errors = 0;
        var perWorker = new List<double>[concurrency];
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = perWorker[w] = new List<double>(4096);
            while (clock.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                if (!await SendAsync(baseUri, streaming, cancellationToken)) Interlocked.Increment(ref errors);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }, cancellationToken)));
        return Result(name, perWorker.SelectMany(l => l).ToArray(), errors, clock.Elapsed.TotalSeconds);
    }

    private static LoadResult Result(string name, double[] latencies, int errors, double seconds)
    {
        Array.Sort(latencies);
        double Percentile(double p) => latencies.Length == 0 ? 0 : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p * latencies.Length) - 1)];
        return new LoadResult(name, latencies.Length, errors, seconds, Percentile(0.50), Percentile(0.99));
    }
}
