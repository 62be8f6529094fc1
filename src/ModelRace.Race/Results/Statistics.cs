namespace ModelRace.Race.Results;

public sealed record Interval(double Low, double High);

/// <summary>Paired comparison of two models on the items both answered without error.</summary>
public sealed record PairedComparison(
    string ModelA, string ModelB, int Items, double MeanA, double MeanB, double Difference, Interval DifferenceCi,
    int OnlyAWins, int OnlyBWins, double McNemarP, bool Significant);

/// <summary>Seeded bootstrap intervals and exact McNemar test; the same input and seed always give the same numbers.</summary>
public static class Statistics
{
    public const int DefaultSeed = 20240917;
    public const int DefaultResamples = 2000;

    /// <summary>Percentile 95% bootstrap interval of the mean.</summary>
    public static Interval BootstrapMeanCi(IReadOnlyList<double> scores, int seed = DefaultSeed, int resamples = DefaultResamples)
    {
        if (scores.Count == 0) return new Interval(double.NaN, double.NaN);
        var random = new Random(seed);
        var means = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (var i = 0; i < scores.Count; i++) sum += scores[random.Next(scores.Count)];
            means[r] = sum / scores.Count;
        }
        Array.Sort(means);
        return new Interval(Percentile(means, 0.025), Percentile(means, 0.975));
    }

    public static PairedComparison Compare(string modelA, IReadOnlyDictionary<string, double> a, string modelB, IReadOnlyDictionary<string, double> b,
        int seed = DefaultSeed, int resamples = DefaultResamples)
    {
        var shared = a.Keys.Where(b.ContainsKey).Order(StringComparer.Ordinal).ToList();
        var differences = shared.Select(id => a[id] - b[id]).ToList();
        var ci = BootstrapMeanCi(differences, seed, resamples);
        var onlyA = shared.Count(id => a[id] >= 0.5 && b[id] < 0.5);
        var onlyB = shared.Count(id => b[id] >= 0.5 && a[id] < 0.5);
        var p = McNemarExactP(onlyA, onlyB);
        var meanA = shared.Count > 0 ? shared.Average(id => a[id]) : double.NaN;
        var meanB = shared.Count > 0 ? shared.Average(id => b[id]) : double.NaN;
        // Significant when the paired interval excludes zero and McNemar agrees at 5%.
        var significant = shared.Count > 0 && (ci.Low > 0 || ci.High < 0) && p < 0.05;
        return new PairedComparison(modelA, modelB, shared.Count, meanA, meanB, meanA - meanB, ci, onlyA, onlyB, p, significant);
    }

    /// <summary>Two-sided exact McNemar p-value: binomial test of the discordant pairs against p = 1/2.</summary>
    public static double McNemarExactP(int onlyA, int onlyB)
    {
        var n = onlyA + onlyB;
        if (n == 0) return 1;
        var k = Math.Min(onlyA, onlyB);
        // Summed in log space so that large n does not overflow.
        double tail = 0;
        for (var i = 0; i <= k; i++) tail += Math.Exp(LogChoose(n, i) - n * Math.Log(2));
        return Math.Min(1, 2 * tail);
    }

    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }

    private static double LogChoose(int n, int k)
    {
        double result = 0;
        for (var i = 1; i <= k; i++) result += Math.Log(n - k + i) - Math.Log(i);
        return result;
    }
}
