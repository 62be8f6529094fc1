using ModelRace.Race.Results;

namespace ModelRace.Race.Tests;

public class StatisticsTests
{
    private static readonly double[] Scores = Enumerable.Range(0, 50).Select(i => i % 3 == 0 ? 0.0 : 1.0).ToArray();

    [Fact]
    public void SameSeedSameInterval()
    {
        var a = Statistics.BootstrapMeanCi(Scores, seed: 7);
        var b = Statistics.BootstrapMeanCi(Scores, seed: 7);
        var c = Statistics.BootstrapMeanCi(Scores, seed: 8);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        var mean = Scores.Average();
        Assert.True(a.Low < mean && mean < a.High, $"{a} should contain {mean}");
        // Normal-approximation half-width is 1.96 * sqrt(p(1-p)/n) ≈ 0.131; the bootstrap should be near it.
        Assert.InRange((a.High - a.Low) / 2, 0.10, 0.16);
    }

    [Fact]
    public void ConstantScoresGiveAZeroWidthInterval() =>
        Assert.Equal(new Interval(1, 1), Statistics.BootstrapMeanCi([1, 1, 1, 1]));

    [Theory]
    [InlineData(0, 0, 1.0)]
    [InlineData(5, 0, 0.0625)] // 2 × 0.5^5
    [InlineData(10, 0, 0.001953125)] // 2 × 0.5^10
    [InlineData(3, 3, 1.0)]
    [InlineData(8, 2, 0.109375)] // 2 × P(X ≤ 2 | n = 10) = 2 × 56/1024
    public void McNemarExact(int onlyA, int onlyB, double p) => Assert.Equal(p, Statistics.McNemarExactP(onlyA, onlyB), 9);

    [Fact]
    public void PairedComparisonFlagsARealDifferenceOnly()
    {
        var ids = Enumerable.Range(0, 60).Select(i => $"i{i}").ToList();
        var strong = ids.ToDictionary(id => id, id => 1.0);
        var weak = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i % 2 == 0 ? 1.0 : 0.0);
        var almost = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i == 0 ? 0.0 : 1.0);
        var real = Statistics.Compare("strong", strong, "weak", weak);
        Assert.True(real.Significant);
        Assert.Equal(30, real.OnlyAWins);
        Assert.Equal(0.5, real.Difference, 9);
        var noise = Statistics.Compare("strong", strong, "almost", almost);
        Assert.False(noise.Significant);
        Assert.Equal(1, noise.OnlyAWins);
    }
}
