using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace ModelRace.Gateway.Metrics;

/// <summary>Counters and latency histograms per route and endpoint, rendered in Prometheus text format.</summary>
public sealed class GatewayMetrics
{
    private static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private readonly ConcurrentDictionary<(string Route, string Endpoint, int Status), Series> _series = new();

    private sealed class Series
    {
        public long Requests, InputTokens, OutputTokens;
        public long CostMicros;
        public double LatencySum;
        public readonly long[] BucketCounts = new long[Buckets.Length];
    }

    public void Observe(string route, string endpoint, int status, double seconds, long inputTokens, long outputTokens, decimal cost)
    {
        var series = _series.GetOrAdd((route, endpoint, status), _ => new Series());
        Interlocked.Increment(ref series.Requests);
        Interlocked.Add(ref series.InputTokens, inputTokens);
        Interlocked.Add(ref series.OutputTokens, outputTokens);
        Interlocked.Add(ref series.CostMicros, (long)(cost * 1_000_000m));
        lock (series) series.LatencySum += seconds;
        var bucket = Array.FindIndex(Buckets, b => seconds <= b);
        if (bucket >= 0) Interlocked.Increment(ref series.BucketCounts[bucket]);
    }

    public string Render()
    {
        var text = new StringBuilder();
        var all = _series.ToArray().OrderBy(s => s.Key.Route, StringComparer.Ordinal).ThenBy(s => s.Key.Endpoint, StringComparer.Ordinal).ThenBy(s => s.Key.Status).ToList();
        Header(text, "modelrace_gateway_requests_total", "counter", "Requests by route, endpoint and HTTP status.");
        foreach (var (k, s) in all) Line(text, "modelrace_gateway_requests_total", k, Interlocked.Read(ref s.Requests));
        Header(text, "modelrace_gateway_errors_total", "counter", "Requests that ended with a status of 400 or above.");
        foreach (var group in all.Where(s => s.Key.Status >= 400).GroupBy(s => (s.Key.Route, s.Key.Endpoint)))
            text.Append(CultureInfo.InvariantCulture, $"modelrace_gateway_errors_total{{route=\"{Escape(group.Key.Route)}\",endpoint=\"{Escape(group.Key.Endpoint)}\"}} {group.Sum(s => Interlocked.Read(ref s.Value.Requests))}\n");
        Header(text, "modelrace_gateway_tokens_total", "counter", "Tokens by route, endpoint and direction.");
        foreach (var group in all.GroupBy(s => (s.Key.Route, s.Key.Endpoint)))
        {
            var labels = $"route=\"{Escape(group.Key.Route)}\",endpoint=\"{Escape(group.Key.Endpoint)}\"";
            text.Append(CultureInfo.InvariantCulture, $"modelrace_gateway_tokens_total{{{labels},direction=\"input\"}} {group.Sum(s => s.Value.InputTokens)}\n");
            text.Append(CultureInfo.InvariantCulture, $"modelrace_gateway_tokens_total{{{labels},direction=\"output\"}} {group.Sum(s => s.Value.OutputTokens)}\n");
        }
        Header(text, "modelrace_gateway_cost_total", "counter", "Cost in the endpoint's currency (USD unless priced otherwise).");
        foreach (var group in all.GroupBy(s => (s.Key.Route, s.Key.Endpoint)))
            text.Append(CultureInfo.InvariantCulture, $"modelrace_gateway_cost_total{{route=\"{Escape(group.Key.Route)}\",endpoint=\"{Escape(group.Key.Endpoint)}\"}} {group.Sum(s => s.Value.CostMicros) / 1_000_000.0:0.######}\n");
        Header(text, "modelrace_gateway_request_duration_seconds", "histogram", "Time from request to last byte, by route and endpoint.");
        foreach (var group in all.GroupBy(s => (s.Key.Route, s.Key.Endpoint)))
        {
            var labels = $"route=\"{Escape(group.Key.Route)}\",endpoint=\"{Escape(group.Key.Endpoint)}\"";
            long cumulative = 0;
            for (var i = 0; i < Buckets.Length; i++)
            {
                cumulative += group.Sum(s => Interlocked.Read(ref s.Value.BucketCounts[i]));
                text.Append(CultureInfo.InvariantCulture, $"modelrace_gateway_request_duration_seconds_bucket{{{labels},le=\"{Buckets[i]}\"}} {cumulative}\n");
            }
            var count = group.Sum(s => Interlocked.Read(ref s.Value.Requests));
            text.Append(CultureInfo.InvariantCulture, $"modelrace_gateway_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}\n");
            text.Append(CultureInfo.InvariantCulture, $"modelrace_gateway_request_duration_seconds_sum{{{labels}}} {group.Sum(s => s.Value.LatencySum):0.######}\n");
            text.Append(CultureInfo.InvariantCulture, $"modelrace_gateway_request_duration_seconds_count{{{labels}}} {count}\n");
        }
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void Line(StringBuilder text, string name, (string Route, string Endpoint, int Status) k, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"{name}{{route=\"{Escape(k.Route)}\",endpoint=\"{Escape(k.Endpoint)}\",status=\"{k.Status}\"}} {value}\n");

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
