using ModelRace.Local.Kernels;

namespace ModelRace.Local.Model;

/// <summary>
/// Keys and values of every position processed so far, per layer, for one sequence. It may hold up to the context
/// length chosen by the user but grows as positions arrive (doubling, from 256), so a short chat on a long-context
/// model holds little memory; <see cref="Truncate"/> rolls back to a shorter prefix (later positions are simply
/// overwritten), and <see cref="Clone"/> forks a sequence.
/// </summary>
public sealed class KvCache
{
    private const int InitialCapacity = 256;

    private float[][] _keys;
    private float[][] _values;

    internal KvCache(ModelConfig config, int contextLength, RopeTable rope, int? capacity = null)
    {
        if (contextLength <= 0) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "the context length must be positive");
        Config = config;
        ContextLength = contextLength;
        Rope = rope;
        Capacity = Math.Min(contextLength, capacity ?? InitialCapacity);
        _keys = Allocate(config, Capacity);
        _values = Allocate(config, Capacity);
    }

    private static float[][] Allocate(ModelConfig config, int positions)
    {
        var layers = new float[config.LayerCount][];
        for (var l = 0; l < layers.Length; l++) layers[l] = new float[(long)positions * config.KvDim];
        return layers;
    }

    /// <summary>Positions the cache has memory for now (at most <see cref="ContextLength"/>).</summary>
    public int Capacity { get; private set; }

    /// <summary>Makes room for <paramref name="positions"/> positions, keeping those filled.</summary>
    internal void EnsureCapacity(int positions)
    {
        if (positions <= Capacity) return;
        if (positions > ContextLength) throw new ContextLengthExceededException(positions, ContextLength);
        var capacity = Math.Min(ContextLength, Math.Max(positions, 2 * Capacity));
        var used = Length * Config.KvDim;
        var keys = Allocate(Config, capacity);
        var values = Allocate(Config, capacity);
        for (var l = 0; l < keys.Length; l++)
        {
            _keys[l].AsSpan(0, used).CopyTo(keys[l]);
            _values[l].AsSpan(0, used).CopyTo(values[l]);
        }
        (_keys, _values, Capacity) = (keys, values, capacity);
    }

    public ModelConfig Config { get; }
    public int ContextLength { get; }
    /// <summary>Memory the keys and values take now: float keys and values for every layer and allocated position.</summary>
    public long SizeInBytes => SizeFor(Config, Capacity);
    /// <summary>Positions filled so far; the next token goes at this position.</summary>
    public int Length { get; internal set; }
    internal RopeTable Rope { get; }

    /// <summary>All key vectors of a layer: position-major, KvDim values each.</summary>
    internal Span<float> Keys(int layer) => _keys[layer];
    internal Span<float> Values(int layer) => _values[layer];

    /// <summary>What a cache of <paramref name="contextLength"/> positions would take, without allocating it.</summary>
    public static long SizeFor(ModelConfig config, int contextLength) => 2L * config.LayerCount * contextLength * config.KvDim * sizeof(float);

    /// <summary>Forgets every position from <paramref name="length"/> on.</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), length, $"the cache holds {Length} positions");
        Length = length;
    }

    public void Clear() => Length = 0;

    /// <summary>An independent copy holding the same positions.</summary>
    public KvCache Clone()
    {
        var copy = new KvCache(Config, ContextLength, Rope, Capacity) { Length = Length };
        var used = Length * Config.KvDim;
        for (var l = 0; l < _keys.Length; l++)
        {
            _keys[l].AsSpan(0, used).CopyTo(copy._keys[l]);
            _values[l].AsSpan(0, used).CopyTo(copy._values[l]);
        }
        return copy;
    }
}
