namespace ModelRace.Local.Synth;

/// <summary>
/// A small, fast, seeded source of normal variates (SplitMix64 + Box-Muller). Its own code, not System.Random,
/// so the same seed gives the same model on every .NET version and machine.
/// </summary>
internal struct SeededNormal(ulong seed)
{
    private ulong _state = seed;

    /// <summary>Mixes several numbers into one well-spread seed (e.g. model seed, tensor, chunk).</summary>
    public static ulong Combine(ulong a, ulong b) => Mix(a ^ Mix(b + 0x9E3779B97F4A7C15UL));

    public static ulong Hash(string text)
    {
        var hash = 14695981039346656037UL; // FNV-1a: stable across runs, unlike string.GetHashCode
        foreach (var c in text) hash = (hash ^ c) * 1099511628211UL;
        return hash;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Fills <paramref name="values"/> with mean + scale × N(0, 1).</summary>
    public void Fill(Span<float> values, float mean, float scale)
    {
        for (var i = 0; i < values.Length; i += 2)
        {
            var bits = Next();
            // Two 24-bit uniforms from one draw; u1 lies in (0, 1] so the log is finite.
            var u1 = ((bits >> 40) + 1) * (1.0f / (1 << 24));
            var u2 = (bits & 0xFFFFFF) * (1.0f / (1 << 24));
            var radius = MathF.Sqrt(-2 * MathF.Log(u1)) * scale;
            var (sin, cos) = MathF.SinCos(2 * MathF.PI * u2);
            values[i] = mean + radius * cos;
            if (i + 1 < values.Length) values[i + 1] = mean + radius * sin;
        }
    }
}
