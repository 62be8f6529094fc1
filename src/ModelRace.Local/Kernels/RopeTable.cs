namespace ModelRace.Local.Kernels;

/// <summary>
/// cos/sin of every rotated pair at every position up to the context length, computed as ggml does:
/// θ(pos, i) = freqScale · pos · base^(−2i/n) / factor[i], with the power built up by repeated multiplication in float.
/// </summary>
public sealed class RopeTable
{
    private readonly float[] _cos;
    private readonly float[] _sin;

    public int Pairs { get; }

    public RopeTable(int contextLength, int rotatedDimensions, float freqBase, float freqScale, ReadOnlySpan<float> freqFactors)
    {
        Pairs = rotatedDimensions / 2;
        if (!freqFactors.IsEmpty && freqFactors.Length < Pairs)
            throw new ArgumentException($"rope_freqs holds {freqFactors.Length} factors; {Pairs} rotated pairs need one each");
        _cos = new float[contextLength * Pairs];
        _sin = new float[contextLength * Pairs];
        var thetaScale = MathF.Pow(freqBase, -2f / rotatedDimensions);
        for (var pos = 0; pos < contextLength; pos++)
        {
            float thetaBase = pos;
            for (var i = 0; i < Pairs; i++)
            {
                var factor = freqFactors.IsEmpty ? 1f : freqFactors[i];
                var theta = freqScale * (thetaBase / factor);
                _cos[pos * Pairs + i] = MathF.Cos(theta);
                _sin[pos * Pairs + i] = MathF.Sin(theta);
                thetaBase *= thetaScale;
            }
        }
    }

    public ReadOnlySpan<float> Cos(int position) => _cos.AsSpan(position * Pairs, Pairs);
    public ReadOnlySpan<float> Sin(int position) => _sin.AsSpan(position * Pairs, Pairs);
}
