namespace LeadScore.Engine.Lifecycle;

/// <summary>
/// One look of a sequential comparison: the information so far, the alpha spent before and after it, the nominal level
/// this look tests at (reject when the one-sided p-value is at most it; 0 = no rejection possible), its z boundary, the
/// p-value and the decision.
/// </summary>
public sealed record SequentialLook(double InformationFraction, double AlphaSpentBefore, double AlphaSpentAfter, double AlphaThisLook, double Boundary,
    double PValue, bool Reject, bool Final);

/// <summary>
/// A group-sequential design with Lan-DeMets alpha spending (O'Brien-Fleming-type spending function
/// alpha(t) = 2 - 2 Phi(z_{1-alpha/2} / sqrt t)), for comparing a challenger with the champion as outcomes mature.
/// The boundaries are the exact ones (Armitage, McPherson and Rowe's recursive integration, as in Jennison and Turnbull,
/// Group Sequential Methods, ch. 19): under the null, the chance that the test first rejects at look k is alpha(t_k) -
/// alpha(t_k-1), using the correlation between the looks' statistics (corr(Z_i, Z_j) = sqrt(t_i / t_j)), so the chance of
/// ever rejecting a true null (promoting a challenger that is not better) is alpha, not less. The spending function spends
/// almost nothing early, so a challenger cannot win on a lucky first week. At information fraction 1 the test is over: a
/// challenger that has not won by then has lost.
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

    /// <summary>Information fractions closer than this count as the same look (no new information, nothing spent).</summary>
    public const double SameInformation = 1e-4;

    /// <summary>
    /// The z boundaries of looks at the increasing information fractions <paramref name="fractions"/> (each in (0, 1]): reject
    /// at look k when Z_k &gt;= boundary k (+infinity: this look spends nothing). Under the null each first crossing has the
    /// spending function's increment as its chance. Computed on the score scale S_k = Z_k sqrt(t_k), a Brownian motion: the
    /// density of S over the continuation region is carried from look to look by convolution with the increment's normal
    /// density (trapezoid rule on a grid of at least 801 points, finer when the looks are close), and each boundary is
    /// found by bisection on the chance of crossing it.
    /// </summary>
    public static double[] Boundaries(double alpha, IReadOnlyList<double> fractions)
    {
        if (alpha is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(alpha), "alpha must be between 0 and 1");
        // A design is a few milliseconds to tens of milliseconds; the same looks recur (every review of a test, simulations).
        var key = string.Join(' ', fractions.Prepend(alpha).Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        if (Designs.TryGetValue(key, out var known)) return (double[])known.Clone();
        var computed = Compute(alpha, fractions);
        if (Designs.Count >= 4096) Designs.Clear();
        Designs[key] = computed;
        return (double[])computed.Clone();
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, double[]> Designs = new(StringComparer.Ordinal);

    private static double[] Compute(double alpha, IReadOnlyList<double> fractions)
    {
        var k = fractions.Count;
        var bounds = new double[k];
        double[] grid = [], density = [];
        var previous = 0.0;
        for (var j = 0; j < k; j++)
        {
            var t = fractions[j];
            if (!(t > 0 && t <= 1) || t < previous) throw new ArgumentOutOfRangeException(nameof(fractions), "information fractions must increase within (0, 1]");
            var target = Spent(alpha, t) - Spent(alpha, previous);
            if (j > 0 && t - previous < SameInformation) { bounds[j] = double.PositiveInfinity; continue; }
            var sdT = Math.Sqrt(t);
            if (j == 0)
            {
                var b0 = target > 0 ? Normal.Quantile(1 - target) : double.PositiveInfinity;
                bounds[0] = b0;
                (grid, density) = Carry([], [], 0, t, Math.Min(b0, 8) * sdT, first: true);
                previous = t;
                continue;
            }
            var sd = Math.Sqrt(t - previous);
            var w = Weights(grid);
            double Cross(double c)
            {
                var sum = 0.0;
                for (var i = 0; i < grid.Length; i++) sum += w[i] * density[i] * (1 - Normal.Cdf((c - grid[i]) / sd));
                return sum;
            }
            double b;
            if (target <= 0) b = double.PositiveInfinity;
            else
            {
                double lo = -8, hi = 8;
                if (Cross(lo * sdT) <= target) b = lo;
                else if (Cross(hi * sdT) >= target) b = hi;
                else
                {
                    for (var it = 0; it < 80; it++)
                    {
                        var mid = 0.5 * (lo + hi);
                        if (Cross(mid * sdT) > target) lo = mid; else hi = mid;
                    }
                    b = 0.5 * (lo + hi);
                }
            }
            bounds[j] = b;
            (grid, density) = Carry(grid, density, t - previous, t, Math.Min(b, 8) * sdT, first: false);
            previous = t;
        }
        return bounds;
    }

    /// <summary>The density of S_t on a grid from -8 sd(t) to <paramref name="upper"/>: the first look's normal density, or the previous one carried by the increment.</summary>
    private static (double[] Grid, double[] Density) Carry(double[] grid, double[] density, double delta, double t, double upper, bool first)
    {
        var lower = -8 * Math.Sqrt(t);
        var sd = Math.Sqrt(delta);
        // At least 4 points a kernel width, 801 to 8001 points.
        var n = first ? 801 : (int)Math.Clamp(Math.Ceiling((upper - lower) / (sd / 4)) + 1, 801, 8001);
        var x = new double[n];
        var g = new double[n];
        var h = (upper - lower) / (n - 1);
        for (var i = 0; i < n; i++) x[i] = lower + i * h;
        if (first)
        {
            var s = Math.Sqrt(t);
            for (var i = 0; i < n; i++) g[i] = Phi(x[i] / s) / s;
            return (x, g);
        }
        var w = Weights(grid);
        for (var i = 0; i < n; i++)
        {
            var sum = 0.0;
            for (var m = 0; m < grid.Length; m++) sum += w[m] * density[m] * Phi((x[i] - grid[m]) / sd);
            g[i] = sum / sd;
        }
        return (x, g);
    }

    private static double Phi(double z) => Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);

    private static double[] Weights(double[] grid)
    {
        var w = new double[grid.Length];
        if (grid.Length < 2) return w;
        var h = grid[1] - grid[0];
        for (var i = 0; i < w.Length; i++) w[i] = h;
        w[0] = w[^1] = h / 2;
        return w;
    }

    /// <summary>
    /// A look at <paramref name="informationFraction"/> with one-sided p-value <paramref name="pValue"/>, after looks at
    /// <paramref name="earlier"/> (their information fractions, in order): rejects when p is at most this look's nominal level
    /// under the exact boundaries of all the looks so far.
    /// </summary>
    public static SequentialLook Look(double alpha, IReadOnlyList<double> earlier, double informationFraction, double pValue)
    {
        if (alpha is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(alpha), "alpha must be between 0 and 1");
        var t = Math.Clamp(informationFraction, 0, 1);
        var before = earlier.Count == 0 ? 0 : earlier[^1];
        if (t <= 0 || t < before) throw new ArgumentOutOfRangeException(nameof(informationFraction), "a look needs more information than the one before");
        var b = Boundaries(alpha, [.. earlier, t])[^1];
        var nominal = double.IsPositiveInfinity(b) ? 0 : 1 - Normal.Cdf(b);
        var reject = !double.IsNaN(pValue) && nominal > 0 && pValue <= nominal;
        return new SequentialLook(t, Spent(alpha, before), Spent(alpha, t), nominal, b, pValue, reject, t >= 1);
    }

    /// <summary>
    /// The conservative form, for a test begun before the looks' fractions were kept: each look tests at the alpha the spending
    /// function released since the previous one (by the union bound at most alpha in all).
    /// </summary>
    public static SequentialLook LookByIncrement(double alpha, double alphaSpentBefore, double informationFraction, double pValue)
    {
        if (alpha is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(alpha), "alpha must be between 0 and 1");
        var t = Math.Clamp(informationFraction, 0, 1);
        var thisLook = Math.Max(0, Spent(alpha, t) - alphaSpentBefore);
        var reject = !double.IsNaN(pValue) && thisLook > 0 && pValue <= thisLook;
        return new SequentialLook(t, alphaSpentBefore, alphaSpentBefore + thisLook, thisLook, thisLook > 0 ? Normal.Quantile(1 - thisLook) : double.PositiveInfinity, pValue, reject, t >= 1);
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
