namespace LeadScore.Engine.Lifecycle;

/// <summary>DeLong's paired test of two AUCs on the same rows: each AUC, their difference, its standard error, z and p.</summary>
public sealed record PairedAucTest(int Rows, int Positives, double AucA, double AucB, double Difference, double StandardError, double Z, double PValueTwoSided)
{
    /// <summary>P(the difference is at least this large | AUCs equal): the one-sided p-value for "A better than B".</summary>
    public double PValueAGreater => 1 - Normal.Cdf(Z);
}

/// <summary>
/// DeLong, DeLong and Clarke-Pearson (1988): the covariance of two correlated AUCs measured on the same rows, from the
/// structural components (placement values) of each score. Ties count half, as in <see cref="Metrics.Ranking.Auc"/>.
/// O(n log n) per score with the midrank formulation of Sun and Xu (2014).
/// </summary>
public static class DeLong
{
    /// <summary>Tests AUC(<paramref name="a"/>) - AUC(<paramref name="b"/>) on the same labelled rows.</summary>
    public static PairedAucTest Paired(IReadOnlyList<double> a, IReadOnlyList<double> b, IReadOnlyList<bool> labels)
    {
        if (a.Count != labels.Count || b.Count != labels.Count) throw new ArgumentException("scores and labels differ in length");
        var pos = new List<int>();
        var neg = new List<int>();
        for (var i = 0; i < labels.Count; i++) (labels[i] ? pos : neg).Add(i);
        int m = pos.Count, n = neg.Count;
        if (m < 2 || n < 2) return new PairedAucTest(labels.Count, m, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

        var (aucA, vA, wA) = Components(a, pos, neg);
        var (aucB, vB, wB) = Components(b, pos, neg);
        // S10: covariance over positives of the placement values; S01: over negatives.
        double s10aa = Cov(vA, vA), s10bb = Cov(vB, vB), s10ab = Cov(vA, vB);
        double s01aa = Cov(wA, wA), s01bb = Cov(wB, wB), s01ab = Cov(wA, wB);
        var variance = (s10aa + s10bb - 2 * s10ab) / m + (s01aa + s01bb - 2 * s01ab) / n;
        var diff = aucA - aucB;
        var se = Math.Sqrt(Math.Max(variance, 0));
        var z = se > 0 ? diff / se : diff == 0 ? 0 : Math.Sign(diff) * double.PositiveInfinity;
        var p = 2 * (1 - Normal.Cdf(Math.Abs(z)));
        return new PairedAucTest(labels.Count, m, aucA, aucB, diff, se, z, Math.Min(1, p));
    }

    /// <summary>
    /// Compares the AUCs of two independent samples (split mode: each arm's model on the leads it served): the variance of
    /// each AUC from its own DeLong structural components, z = (AUC_A - AUC_B) / sqrt(Var_A + Var_B).
    /// </summary>
    public static PairedAucTest Unpaired(IReadOnlyList<double> a, IReadOnlyList<bool> labelsA, IReadOnlyList<double> b, IReadOnlyList<bool> labelsB)
    {
        var (aucA, varA, mA) = Single(a, labelsA);
        var (aucB, varB, _) = Single(b, labelsB);
        var se = Math.Sqrt(varA + varB);
        var diff = aucA - aucB;
        if (double.IsNaN(se) || se == 0) return new PairedAucTest(a.Count + b.Count, mA, aucA, aucB, diff, se, double.NaN, double.NaN);
        var z = diff / se;
        return new PairedAucTest(a.Count + b.Count, mA, aucA, aucB, diff, se, z, Math.Min(1, 2 * (1 - Normal.Cdf(Math.Abs(z)))));
    }

    /// <summary>One AUC and its DeLong variance (NaN with fewer than two rows of a class).</summary>
    public static (double Auc, double Variance, int Positives) Single(IReadOnlyList<double> s, IReadOnlyList<bool> labels)
    {
        var pos = new List<int>();
        var neg = new List<int>();
        for (var i = 0; i < labels.Count; i++) (labels[i] ? pos : neg).Add(i);
        if (pos.Count < 2 || neg.Count < 2) return (double.NaN, double.NaN, pos.Count);
        var (auc, v10, v01) = Components(s, pos, neg);
        return (auc, Cov(v10, v10) / pos.Count + Cov(v01, v01) / neg.Count, pos.Count);
    }

    /// <summary>The AUC and the placement values: per positive, the share of negatives it outranks; per negative, the share of positives that outrank it.</summary>
    private static (double Auc, double[] V10, double[] V01) Components(IReadOnlyList<double> s, List<int> pos, List<int> neg)
    {
        int m = pos.Count, n = neg.Count;
        var px = pos.Select(i => s[i]).ToArray();
        var ny = neg.Select(i => s[i]).ToArray();
        var all = px.Concat(ny).ToArray();
        var tz = MidRanks(all);
        var tx = MidRanks(px);
        var ty = MidRanks(ny);
        var v10 = new double[m];
        var v01 = new double[n];
        double sum = 0;
        for (var i = 0; i < m; i++) { v10[i] = (tz[i] - tx[i]) / n; sum += tz[i]; }
        for (var j = 0; j < n; j++) v01[j] = 1 - (tz[m + j] - ty[j]) / m;
        var auc = (sum - m * (m + 1) / 2.0) / ((double)m * n);
        return (auc, v10, v01);
    }

    private static double[] MidRanks(double[] x)
    {
        var idx = Enumerable.Range(0, x.Length).ToArray();
        var keys = (double[])x.Clone();
        Array.Sort(keys, idx);
        var r = new double[x.Length];
        var k = 0;
        while (k < x.Length)
        {
            var j = k;
            while (j + 1 < x.Length && keys[j + 1].Equals(keys[k])) j++;
            var rank = (k + j) / 2.0 + 1;
            for (var t = k; t <= j; t++) r[idx[t]] = rank;
            k = j + 1;
        }
        return r;
    }

    private static double Cov(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), s = 0;
        for (var i = 0; i < x.Length; i++) s += (x[i] - mx) * (y[i] - my);
        return s / (x.Length - 1);
    }
}
