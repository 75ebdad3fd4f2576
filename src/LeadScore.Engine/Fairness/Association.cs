namespace LeadScore.Engine.Fairness;

/// <summary>Association measures between a categorical attribute and a feature; pure, with no missing-value policy of their own.</summary>
public static class Association
{
    /// <summary>
    /// Cramér's V of two aligned categorical columns, from Pearson's chi-squared without continuity correction:
    /// V = sqrt(chi2 / n / (min(r, k) - 1)). Equals scipy's <c>scipy.stats.contingency.association(t, method="cramer")</c>.
    /// With <paramref name="biasCorrected"/>, Bergsma's (2013) correction: phi2 is reduced by its expectation under
    /// independence, (r-1)(k-1)/(n-1), and r, k by their own bias, so a sparse table with many categories (a few hundred
    /// held-out rows, a dozen countries) does not read as associated when it is not. 0 when either side has one category.
    /// </summary>
    public static double CramersV(IReadOnlyList<string> a, IReadOnlyList<string> b, bool biasCorrected = true)
    {
        if (a.Count != b.Count) throw new ArgumentException("columns differ in length");
        var n = a.Count;
        if (n < 2) return 0;
        var ai = Index(a, out var r);
        var bi = Index(b, out var k);
        if (r < 2 || k < 2) return 0;
        var table = new double[r, k];
        var rowSum = new double[r];
        var colSum = new double[k];
        for (var i = 0; i < n; i++) { table[ai[i], bi[i]]++; rowSum[ai[i]]++; colSum[bi[i]]++; }
        var chi2 = 0.0;
        for (var x = 0; x < r; x++)
            for (var y = 0; y < k; y++)
            {
                var expected = rowSum[x] * colSum[y] / n;
                var d = table[x, y] - expected;
                chi2 += d * d / expected;
            }
        var phi2 = chi2 / n;
        if (!biasCorrected) return Math.Sqrt(phi2 / (Math.Min(r, k) - 1));
        var phi2c = Math.Max(0, phi2 - (r - 1.0) * (k - 1.0) / (n - 1.0));
        var rc = r - (r - 1.0) * (r - 1.0) / (n - 1.0);
        var kc = k - (k - 1.0) * (k - 1.0) / (n - 1.0);
        var denominator = Math.Min(rc - 1, kc - 1);
        return denominator <= 0 ? 0 : Math.Sqrt(phi2c / denominator);
    }

    /// <summary>
    /// The correlation ratio eta of a number across the categories of <paramref name="groups"/>:
    /// sqrt(between-group sum of squares / total sum of squares). It needs no order of the categories (unlike Pearson's r,
    /// which would need the sensitive attribute to be a number), and for a 0/1 feature it equals the phi coefficient.
    /// With <paramref name="biasCorrected"/>, from Kelley's epsilon squared, (SSB - (k-1) MSW) / SST: a feature with values on
    /// only a few rows (days since a rare event) spread over a dozen groups otherwise reads as associated by chance.
    /// Rows with a NaN value are left out; 0 when the values do not vary.
    /// </summary>
    public static double CorrelationRatio(IReadOnlyList<string> groups, IReadOnlyList<double> values, bool biasCorrected = true)
    {
        if (groups.Count != values.Count) throw new ArgumentException("columns differ in length");
        var sum = new Dictionary<string, (double Sum, int Count)>(StringComparer.Ordinal);
        double total = 0; var n = 0;
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            if (double.IsNaN(v)) continue;
            total += v; n++;
            sum[groups[i]] = sum.TryGetValue(groups[i], out var s) ? (s.Sum + v, s.Count + 1) : (v, 1);
        }
        if (n < 2) return 0;
        var mean = total / n;
        var ssTotal = 0.0;
        for (var i = 0; i < values.Count; i++)
            if (!double.IsNaN(values[i])) { var d = values[i] - mean; ssTotal += d * d; }
        if (ssTotal <= 0) return 0;
        var ssBetween = 0.0;
        foreach (var (s, c) in sum.Values) { var d = s / c - mean; ssBetween += c * d * d; }
        if (!biasCorrected) return Math.Sqrt(Math.Clamp(ssBetween / ssTotal, 0, 1));
        var k = sum.Count;
        if (n <= k) return 0;
        var msWithin = Math.Max(0, ssTotal - ssBetween) / (n - k);
        return Math.Sqrt(Math.Clamp((ssBetween - (k - 1) * msWithin) / ssTotal, 0, 1));
    }

    /// <summary>Rows of <paramref name="values"/> that hold a number.</summary>
    public static int Known(IReadOnlyList<double> values) => values.Count(v => !double.IsNaN(v));

    private static int[] Index(IReadOnlyList<string> values, out int distinct)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        var idx = new int[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            if (!map.TryGetValue(values[i], out var j)) map[values[i]] = j = map.Count;
            idx[i] = j;
        }
        distinct = map.Count;
        return idx;
    }
}
