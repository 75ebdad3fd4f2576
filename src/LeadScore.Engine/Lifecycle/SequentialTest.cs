namespace LeadScore.Engine.Lifecycle;

/// <summary>One look of a sequential comparison: the information so far, the alpha this look may spend, the p-value and the decision.</summary>
public sealed record SequentialLook(double InformationFraction, double AlphaSpentBefore, double AlphaThisLook, double PValue, bool Reject, bool Final)
{
    public double AlphaSpentAfter => AlphaSpentBefore + AlphaThisLook;
}

/// <summary>
/// A group-sequential design with Lan-DeMets alpha spending (O'Brien-Fleming-type spending function
/// alpha(t) = 2 - 2 Phi(z_{1-alpha/2} / sqrt t)), for comparing a challenger with the champion as outcomes mature.
/// Each look may reject at the alpha the spending function releases since the previous look; by the union bound the
/// chance of ever rejecting a true null (promoting a challenger that is not better) is at most alpha, however many looks
/// there are. That is conservative next to the exact recursive boundaries (which also use the correlation between looks),
/// and needs no numerical integration. The spending function spends almost nothing early, so a challenger cannot win on
/// a lucky first week. At information fraction 1 the test is over: a challenger that has not won by then has lost.
/// </summary>
public static class AlphaSpending
{
    /// <summary>alpha(t), the total alpha spent by information fraction <paramref name="t"/> (0..1).</summary>
    public static double Spent(double alpha, double t)
    {
        if (t <= 0) return 0;
        if (t >= 1) return alpha;
        return 2 - 2 * Normal.Cdf(Normal.Quantile(1 - alpha / 2) / Math.Sqrt(t));
    }

    /// <summary>
    /// A look at <paramref name="informationFraction"/> with one-sided p-value <paramref name="pValue"/>, after
    /// <paramref name="alphaSpentBefore"/> was spent by the earlier looks.
    /// </summary>
    public static SequentialLook Look(double alpha, double alphaSpentBefore, double informationFraction, double pValue)
    {
        if (alpha is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(alpha), "alpha must be between 0 and 1");
        var t = Math.Clamp(informationFraction, 0, 1);
        var thisLook = Math.Max(0, Spent(alpha, t) - alphaSpentBefore);
        var reject = !double.IsNaN(pValue) && thisLook > 0 && pValue <= thisLook;
        return new SequentialLook(t, alphaSpentBefore, thisLook, pValue, reject, t >= 1);
    }
}

/// <summary>Two conversion rates compared: rows and conversions per arm, the difference, z and the one-sided p-value for "A higher".</summary>
public sealed record ProportionTest(int RowsA, int PositivesA, int RowsB, int PositivesB, double RateA, double RateB, double Z, double PValueAGreater);

/// <summary>The pooled two-proportion z-test.</summary>
public static class Proportions
{
    public static ProportionTest Compare(int rowsA, int positivesA, int rowsB, int positivesB)
    {
        if (rowsA == 0 || rowsB == 0) return new ProportionTest(rowsA, positivesA, rowsB, positivesB, double.NaN, double.NaN, double.NaN, double.NaN);
        double ra = (double)positivesA / rowsA, rb = (double)positivesB / rowsB;
        var pooled = (double)(positivesA + positivesB) / (rowsA + rowsB);
        var se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / rowsA + 1.0 / rowsB));
        var z = se > 0 ? (ra - rb) / se : 0;
        return new ProportionTest(rowsA, positivesA, rowsB, positivesB, ra, rb, z, 1 - Normal.Cdf(z));
    }

    /// <summary>Rows and conversions among the top <paramref name="fraction"/> of rows by score (ties broken by order).</summary>
    public static (int Rows, int Positives) Top(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, double fraction)
    {
        var k = Math.Max(1, (int)Math.Round(scores.Count * fraction));
        if (scores.Count == 0) return (0, 0);
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k);
        var pos = order.Count(i => labels[i]);
        return (k, pos);
    }
}

/// <summary>The sticky share of leads a split challenger serves: a hash of the lead id, so a lead stays on one side.</summary>
public static class ChallengerSplit
{
    /// <summary>The lead's bucket, 0..9999 (FNV-1a over the id's UTF-16 code units, then mod 10,000): stable across processes and versions.</summary>
    public static int Bucket(string leadId)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in leadId)
        {
            h ^= (byte)ch; h *= 1099511628211UL;
            h ^= (byte)(ch >> 8); h *= 1099511628211UL;
        }
        // Fold the high bits in: FNV's low bits alone are weak for short, similar ids ("L1", "L2"...).
        h ^= h >> 33; h *= 0xff51afd7ed558ccdUL; h ^= h >> 33;
        return (int)(h % 10_000);
    }

    /// <summary>Whether the challenger serves this lead at <paramref name="percent"/> (0..100, two decimals).</summary>
    public static bool ServedByChallenger(string leadId, double percent) => Bucket(leadId) < (int)Math.Round(percent * 100);
}
