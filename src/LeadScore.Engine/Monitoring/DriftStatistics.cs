using MathNet.Numerics;

namespace LeadScore.Engine.Monitoring;

/// <summary>
/// The drift statistics, each the same number as its scipy / Evidently counterpart (checked in the tests to 1e-9).
/// Inputs that must be sorted say so; missing values must already be removed.
/// </summary>
public static class DriftStatistics
{
    /// <summary>scipy's ks_2samp uses the exact distribution while both samples have at most this many values.</summary>
    public const int KsExactMaxRows = 10000;

    /// <summary>scipy.stats.ks_2samp(reference, current) with method='auto': the D statistic and the two-sided p-value.</summary>
    public static (double Statistic, double PValue) KolmogorovSmirnov(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> sortedCurrent)
    {
        int n1 = sortedReference.Length, n2 = sortedCurrent.Length;
        if (n1 == 0 || n2 == 0) throw new ArgumentException("KS needs values on both sides.");
        // D over every value of either sample: cdf1 - cdf2 with right-continuous ECDFs (searchsorted 'right').
        double maxS = double.NegativeInfinity, minDiff = double.PositiveInfinity;
        int i = 0, j = 0;
        while (i < n1 || j < n2)
        {
            var v = j >= n2 || (i < n1 && sortedReference[i] <= sortedCurrent[j]) ? sortedReference[i] : sortedCurrent[j];
            while (i < n1 && sortedReference[i] <= v) i++;
            while (j < n2 && sortedCurrent[j] <= v) j++;
            var diff = (double)i / n1 - (double)j / n2;
            if (diff > maxS) maxS = diff;
            if (diff < minDiff) minDiff = diff;
        }
        var minS = Math.Clamp(-minDiff, 0, 1);
        var d = minS > maxS ? minS : maxS;

        long g = Gcd(n1, n2);
        if (Math.Max(n1, n2) <= KsExactMaxRows)
        {
            var lcm = n1 / g * n2;
            var h = (long)Math.Round(d * lcm, MidpointRounding.ToEven);
            var dExact = (double)h / lcm;
            if (h == 0) return (dExact, 1.0);
            var prob = n1 == n2 ? ProbOutsideSquare(n1, h) : OuterProbInside(n1, n2, g, h);
            if (prob >= 0 && prob <= 1 && !double.IsNaN(prob)) return (dExact, prob);
            d = dExact; // scipy falls back to the asymptotic p-value with the rounded statistic
        }
        double m = Math.Max(n1, n2), n = Math.Min(n1, n2);
        var en = m * n / (m + n);
        var p = Kolmogorov.Sf((int)Math.Round(en, MidpointRounding.ToEven), d);
        return (d, Math.Clamp(p, 0, 1));
    }

    private static long Gcd(long a, long b) { while (b != 0) (a, b) = (b, a % b); return a; }

    // scipy.stats._stats_py._compute_prob_outside_square
    private static double ProbOutsideSquare(long n, long h)
    {
        double p = 0;
        var k = (long)Math.Floor((double)n / h);
        while (k >= 0)
        {
            var p1 = 1.0;
            for (long j = 0; j < h; j++) p1 = (n - k * h - j) * p1 / (n + k * h + j + 1);
            p = p1 * (1.0 - p);
            k--;
        }
        return 2 * p;
    }

    // scipy.stats._stats_pythran._compute_outer_prob_inside_method (Hodges' inside method, Viehmann's 1-p recursion)
    private static double OuterProbInside(long m, long n, long g, long h)
    {
        if (m < n) (m, n) = (n, m);
        var mg = m / g; var ng = n / g;
        long minj = 0, maxj = Math.Min((long)Math.Ceiling((double)h / mg), n + 1);
        var curlen = maxj - minj;
        var lenA = Math.Min(2 * maxj + 2, n + 1);
        var a = new double[lenA];
        Array.Fill(a, 1.0);
        for (var t = minj; t < maxj; t++) a[t] = 0.0;
        for (long i = 1; i <= m; i++)
        {
            long lastminj = minj, lastlen = curlen;
            minj = Math.Max((long)Math.Floor((double)(ng * i - h) / mg) + 1, 0);
            minj = Math.Min(minj, n);
            maxj = Math.Min((long)Math.Ceiling((double)(ng * i + h) / mg), n + 1);
            if (maxj <= minj) return 1.0;
            var val = minj == 0 ? 0.0 : 1.0;
            for (long jj = 0; jj < maxj - minj; jj++)
            {
                var j = jj + minj;
                val = (a[jj + minj - lastminj] * i + val * j) / (i + j);
                a[jj] = val;
            }
            curlen = maxj - minj;
            if (lastlen > curlen)
                for (var t = maxj - minj; t < maxj - minj + (lastlen - curlen) && t < lenA; t++) a[t] = 1;
        }
        return a[maxj - minj - 1];
    }

    /// <summary>
    /// scipy.stats.chisquare(f_obs=current, f_exp=reference x (current rows / reference rows)) as Evidently's chisquare
    /// stattest calls it. A category absent from the reference gives an infinite statistic and p = 0, as numpy does.
    /// </summary>
    public static (double Statistic, double PValue) ChiSquared(ReadOnlySpan<double> referenceCounts, ReadOnlySpan<double> currentCounts)
    {
        if (referenceCounts.Length != currentCounts.Length) throw new ArgumentException("Count vectors differ in length.");
        double nRef = 0, nCur = 0;
        for (var k = 0; k < referenceCounts.Length; k++) { nRef += referenceCounts[k]; nCur += currentCounts[k]; }
        var kNorm = nCur / nRef;
        double stat = 0;
        for (var k = 0; k < referenceCounts.Length; k++)
        {
            var exp = referenceCounts[k] * kNorm;
            var d = currentCounts[k] - exp;
            stat += d * d / exp;
        }
        var df = referenceCounts.Length - 1;
        if (df < 1) return (double.NaN, 1.0);
        if (double.IsPositiveInfinity(stat)) return (stat, 0.0);
        return (stat, SpecialFunctions.GammaUpperRegularized(df / 2.0, stat / 2.0));
    }

    /// <summary>
    /// scipy.stats.chi2_contingency on the 2 x k table of reference and current counts (homogeneity: both samples are
    /// random, unlike <see cref="ChiSquared"/>, which takes the reference proportions as exact); Yates' correction when
    /// there is one degree of freedom, as scipy does by default. Categories empty on both sides must be left out.
    /// </summary>
    public static (double Statistic, double PValue) ChiSquaredContingency(ReadOnlySpan<double> referenceCounts, ReadOnlySpan<double> currentCounts)
    {
        if (referenceCounts.Length != currentCounts.Length) throw new ArgumentException("Count vectors differ in length.");
        var k = referenceCounts.Length;
        double nRef = 0, nCur = 0;
        for (var j = 0; j < k; j++) { nRef += referenceCounts[j]; nCur += currentCounts[j]; }
        var n = nRef + nCur;
        var df = k - 1;
        if (df < 1 || nRef == 0 || nCur == 0) return (0, 1.0);
        double stat = 0;
        for (var j = 0; j < k; j++)
        {
            var col = referenceCounts[j] + currentCounts[j];
            foreach (var (obs, row) in new[] { (referenceCounts[j], nRef), (currentCounts[j], nCur) })
            {
                var exp = row * col / n;
                var d = obs - exp;
                if (df == 1) d = Math.Sign(d) * Math.Max(0, Math.Abs(d) - Math.Min(0.5, Math.Abs(d)));
                stat += d * d / exp;
            }
        }
        return (stat, SpecialFunctions.GammaUpperRegularized(df / 2.0, stat / 2.0));
    }

    /// <summary>
    /// Evidently's z stattest: two-proportion z-test on the share of rows not equal to the smallest value; the two-sided
    /// p-value 2 (1 - Phi(|z|)). Both sides holding the one same value give p = 1 (z = 0).
    /// </summary>
    public static (double Statistic, double PValue) ZTest(long referenceOnes, long referenceRows, long currentOnes, long currentRows)
    {
        double n1 = referenceRows, n2 = currentRows;
        var p1 = referenceOnes / n1;
        var p2 = currentOnes / n2;
        var pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
        if (pooled == 0 || pooled == 1) return (0, 1.0);
        var z = (p1 - p2) / Math.Sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2));
        return (z, 2 * (1 - NormalCdf(Math.Abs(z))));
    }

    internal static double NormalCdf(double x) => 0.5 * SpecialFunctions.Erfc(-x / Math.Sqrt(2));

    /// <summary>scipy.stats.wasserstein_distance on two sorted samples: the area between their ECDFs.</summary>
    public static double Wasserstein(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> sortedCurrent)
    {
        int nu = sortedReference.Length, nv = sortedCurrent.Length;
        if (nu == 0 || nv == 0) throw new ArgumentException("Wasserstein needs values on both sides.");
        int i = 0, j = 0;
        double sum = 0, prev = Math.Min(sortedReference[0], sortedCurrent[0]);
        // Walk the merged values; between consecutive merged values the ECDF gap is constant.
        while (i < nu || j < nv)
        {
            var v = j >= nv || (i < nu && sortedReference[i] <= sortedCurrent[j]) ? sortedReference[i] : sortedCurrent[j];
            if (v > prev) sum += Math.Abs((double)i / nu - (double)j / nv) * (v - prev);
            prev = v;
            while (i < nu && sortedReference[i] <= v) i++;
            while (j < nv && sortedCurrent[j] <= v) j++;
        }
        return sum;
    }

    /// <summary>Evidently's wasserstein_distance_norm: Wasserstein / max(reference population std, 0.001).</summary>
    public static double WassersteinNormed(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> sortedCurrent)
        => Wasserstein(sortedReference, sortedCurrent) / Math.Max(PopulationStdDev(sortedReference), 0.001);

    /// <summary>numpy.std (ddof 0).</summary>
    public static double PopulationStdDev(ReadOnlySpan<double> values)
    {
        if (values.Length == 0) return double.NaN;
        double sum = 0;
        foreach (var v in values) sum += v;
        var mean = sum / values.Length;
        double ss = 0;
        foreach (var v in values) { var d = v - mean; ss += d * d; }
        return Math.Sqrt(ss / values.Length);
    }

    /// <summary>scipy.spatial.distance.jensenshannon(p, q) (natural log): both are normalised to sum 1 first.</summary>
    public static double JensenShannon(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (p.Length != q.Length) throw new ArgumentException("Distributions differ in length.");
        double sp = 0, sq = 0;
        for (var k = 0; k < p.Length; k++) { sp += p[k]; sq += q[k]; }
        double left = 0, right = 0;
        for (var k = 0; k < p.Length; k++)
        {
            var pk = p[k] / sp; var qk = q[k] / sq; var m = (pk + qk) / 2.0;
            left += RelEntr(pk, m);
            right += RelEntr(qk, m);
        }
        return Math.Sqrt((left + right) / 2.0);
    }

    // scipy.special.rel_entr
    private static double RelEntr(double x, double y) =>
        x > 0 && y > 0 ? x * Math.Log(x / y) : x == 0 && y >= 0 ? 0 : double.PositiveInfinity;

    /// <summary>Evidently's psi: sum((ref - cur) * ln(ref / cur)) over the shares (zeros already filled, see <see cref="FillZeros"/>).</summary>
    public static double Psi(ReadOnlySpan<double> referenceShares, ReadOnlySpan<double> currentShares)
    {
        if (referenceShares.Length != currentShares.Length) throw new ArgumentException("Distributions differ in length.");
        double psi = 0;
        for (var k = 0; k < referenceShares.Length; k++)
            psi += (referenceShares[k] - currentShares[k]) * Math.Log(referenceShares[k] / currentShares[k]);
        return psi;
    }

    /// <summary>
    /// Evidently's small-value handling before PSI (get_binned_data, feel_zeroes): each empty share becomes the smallest
    /// non-empty share / 10^6 when that is at most 0.0001, else 0.0001.
    /// </summary>
    public static void FillZeros(Span<double> shares)
    {
        var min = double.PositiveInfinity;
        foreach (var s in shares) if (s != 0 && s < min) min = s;
        if (double.IsPositiveInfinity(min)) return;
        var fill = min <= 0.0001 ? min / 1e6 : 0.0001;
        for (var k = 0; k < shares.Length; k++) if (shares[k] == 0) shares[k] = fill;
    }

    /// <summary>
    /// numpy.histogram_bin_edges(reference ++ current, bins="sturges"), as Evidently bins numeric features with more than
    /// 20 reference values for PSI and Jensen-Shannon: equal-width bins over the combined range.
    /// </summary>
    public static double[] SturgesEdges(double min, double max, long combinedRows)
    {
        double first = min, last = max;
        int bins;
        if (first == last) { first -= 0.5; last += 0.5; bins = 1; }
        else
        {
            var width = (max - min) / (Math.Log2(combinedRows) + 1.0);
            bins = width != 0 ? (int)Math.Ceiling((last - first) / width) : 1;
        }
        return Linspace(first, last, bins + 1);
    }

    // numpy.linspace(start, stop, num, endpoint=True)
    private static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        var div = num - 1;
        var delta = stop - start;
        var step = delta / div;
        for (var k = 0; k < num; k++) y[k] = step == 0 ? k / (double)div * delta + start : k * step + start;
        y[num - 1] = stop;
        return y;
    }

    /// <summary>numpy.histogram(sorted values, edges) counts: [e_i, e_i+1) and the last bin closed on the right.</summary>
    public static void Histogram(ReadOnlySpan<double> sorted, ReadOnlySpan<double> edges, Span<double> counts)
    {
        var bins = edges.Length - 1;
        var prev = LowerBound(sorted, edges[0]);
        for (var b = 0; b < bins; b++)
        {
            var next = b == bins - 1 ? UpperBound(sorted, edges[b + 1]) : LowerBound(sorted, edges[b + 1]);
            counts[b] = next - prev;
            prev = next;
        }
    }

    internal static int LowerBound(ReadOnlySpan<double> sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { var mid = (lo + hi) >>> 1; if (sorted[mid] < v) lo = mid + 1; else hi = mid; }
        return lo;
    }

    internal static int UpperBound(ReadOnlySpan<double> sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { var mid = (lo + hi) >>> 1; if (sorted[mid] <= v) lo = mid + 1; else hi = mid; }
        return lo;
    }
}
