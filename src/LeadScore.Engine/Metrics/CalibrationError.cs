namespace LeadScore.Engine.Metrics;

/// <summary>
/// Expected calibration error: the one implementation, used by the model card's held-out metrics and by fairness
/// (calibration per group), so the two can be compared.
/// </summary>
public static class CalibrationError
{
    /// <summary>The model card's bins: 10 equal-width probability bins.</summary>
    public const int CardBins = 10;

    /// <summary>The bin of a probability among <paramref name="bins"/> equal-width bins (1.0 falls in the last one).</summary>
    public static int BinOf(double probability, int bins) => Math.Clamp((int)(probability * bins), 0, bins - 1);

    /// <summary>
    /// ECE: the row-weighted mean, over non-empty bins, of |mean predicted - observed rate|. 0 for no rows.
    /// </summary>
    public static double Expected(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, int bins = CardBins)
    {
        if (probabilities.Count != labels.Count) throw new ArgumentException("probabilities and labels differ in length");
        var n = probabilities.Count;
        if (n == 0) return 0;
        var count = new int[bins]; var sumP = new double[bins]; var sumY = new int[bins];
        for (var i = 0; i < n; i++)
        {
            var b = BinOf(probabilities[i], bins);
            count[b]++; sumP[b] += probabilities[i]; if (labels[i]) sumY[b]++;
        }
        var total = 0.0;
        for (var b = 0; b < bins; b++)
            if (count[b] > 0) total += count[b] * Math.Abs(sumP[b] / count[b] - (double)sumY[b] / count[b]);
        return total / n;
    }

    /// <summary>
    /// The ECE a perfectly calibrated model shows on these rows by chance alone: the <paramref name="quantile"/> of the ECE
    /// over <paramref name="draws"/> label sets drawn from the probabilities themselves (each row converts with its own
    /// probability; seeded, so the same rows give the same figure). On a few hundred rows it is about 0.04-0.06 with ten
    /// bins, so a fixed "ECE at most 0.03" cannot tell a calibrated model from a miscalibrated one there.
    /// </summary>
    public static double Noise(IReadOnlyList<double> probabilities, double quantile = 0.95, int draws = 400, int seed = 42, int bins = CardBins)
    {
        var n = probabilities.Count;
        if (n == 0) return 0;
        var rng = new Random(seed);
        var labels = new bool[n];
        var eces = new double[draws];
        for (var d = 0; d < draws; d++)
        {
            for (var i = 0; i < n; i++) labels[i] = rng.NextDouble() < probabilities[i];
            eces[d] = Expected(probabilities, labels, bins);
        }
        Array.Sort(eces);
        return eces[Math.Clamp((int)Math.Ceiling(quantile * draws) - 1, 0, draws - 1)];
    }
}
