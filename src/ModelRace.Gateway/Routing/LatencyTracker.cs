using System.Collections.Concurrent;

namespace ModelRace.Gateway.Routing;

/// <summary>The last few latencies of each upstream, for the `fastest` strategy; survives config reloads.</summary>
public sealed class LatencyTracker
{
    private const int Capacity = 64;
    private readonly ConcurrentDictionary<string, Ring> _rings = new(StringComparer.OrdinalIgnoreCase);

    private sealed class Ring
    {
        public readonly double[] Values = new double[Capacity];
        public int Count, Next;
    }

    public void Record(string upstreamId, TimeSpan latency)
    {
        var ring = _rings.GetOrAdd(upstreamId, _ => new Ring());
        lock (ring)
        {
            ring.Values[ring.Next] = latency.TotalMilliseconds;
            ring.Next = (ring.Next + 1) % Capacity;
            ring.Count = Math.Min(ring.Count + 1, Capacity);
        }
    }

    /// <summary>Median of the recent latencies in ms, or null when the upstream has not been measured yet.</summary>
    public double? P50(string upstreamId)
    {
        if (!_rings.TryGetValue(upstreamId, out var ring)) return null;
        double[] values;
        lock (ring)
        {
            if (ring.Count == 0) return null;
            values = ring.Values[..ring.Count];
        }
        Array.Sort(values);
        return values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
    }
}
