using ModelRace.Local.Kernels;

namespace ModelRace.Local.Model;

/// <summary>
/// Keys and values of every position processed so far, per layer, for one sequence. Its capacity is the context
/// length chosen by the user; <see cref="Truncate"/> rolls back to a shorter prefix (later positions are simply
/// overwritten), and <see cref="Clone"/> forks a sequence.
/// </summary>
public sealed class KvCache
{
    private readonly float[][] _keys;
    private readonly float[][] _values;

    internal KvCache(ModelConfig config, int contextLength, RopeTable rope)
    {
        if (contextLength <= 0) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "the context length must be positive");
        Config = config;
        ContextLength = contextLength;
        Rope = rope;
        _keys = new float[config.LayerCount][];
        _values = new float[config.LayerCount][];
        for (var l = 0; l < config.LayerCount; l++)
        {
            _keys[l] = new float[(long)contextLength * config.KvDim];
            _values[l] = new float[(long)contextLength * config.KvDim];
        }
    }

    public ModelConfig Config { get; }
    public int ContextLength { get; }
    /// <summary>Memory the keys and values take: float keys and values for every layer and position.</summary>
    public long SizeInBytes => SizeFor(Config, ContextLength);
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
        var copy = new KvCache(Config, ContextLength, Rope) { Length = Length };
        var used = Length * Config.KvDim;
        for (var l = 0; l < _keys.Length; l++)
        {
            _keys[l].AsSpan(0, used).CopyTo(copy._keys[l]);
            _values[l].AsSpan(0, used).CopyTo(copy._values[l]);
        }
        return copy;
    }
}
