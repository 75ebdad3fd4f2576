namespace LeadScore.Engine.Lifecycle;

/// <summary>
/// A paired comparison of two models' probabilities on the same labelled rows by their log loss: each model's mean log loss,
/// the mean difference (B minus A: above 0 when A's probabilities are the better ones), its standard error clustered by lead,
/// z and the one-sided p-value for "A better than B".
/// </summary>
public sealed record PairedLossTest(int Rows, int Leads, int Positives, double LogLossA, double LogLossB, double Difference, double StandardError, double Z)
{
    /// <summary>P(a mean difference at least this large | the two models' expected log losses are equal).</summary>
    public double PValueAGreater => double.IsNaN(Z) ? double.NaN : 1 - Normal.Cdf(Z);
}

/// <summary>
/// The Diebold-Mariano comparison of two forecasts by a proper scoring rule, here the log loss: on each row
/// d = loss(B) - loss(A), and the mean of d is tested against 0 with a z-test. A lead's rows at several ages are not
/// independent, so the variance is the cluster-robust one (clusters = leads; CR1, the G / (G - 1) correction), as
/// statsmodels' <c>OLS(d, 1).fit(cov_type="cluster")</c> computes it. Probabilities are clipped to [1e-6, 1 - 1e-6], so one
/// confident mistake costs at most 13.8 and cannot decide the test alone.
/// </summary>
/// <remarks>
/// Why a proper scoring rule and not only the AUC: the promise is a calibrated probability, and a model that ranks the new
/// process about as well but gives its leads the right probabilities (a champion after concept drift is confidently wrong on
/// the leads whose signal turned) is the better model to serve. The log loss weighs both, and its paired differences carry
/// more information per row than the AUC's placements, so the same leads decide sooner.
/// </remarks>
public static class PairedLogLoss
{
    /// <summary>The clip of every probability before its log.</summary>
    public const double Clip = 1e-6;

    /// <summary>Tests whether <paramref name="a"/>'s probabilities have a lower expected log loss than <paramref name="b"/>'s on the same rows (clustered by <paramref name="leads"/>).</summary>
    public static PairedLossTest Test(IReadOnlyList<double> a, IReadOnlyList<double> b, IReadOnlyList<bool> labels, IReadOnlyList<string> leads)
    {
        var n = labels.Count;
        if (a.Count != n || b.Count != n || leads.Count != n) throw new ArgumentException("probabilities, labels and leads differ in length");
        if (n == 0) return new PairedLossTest(0, 0, 0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        var cluster = new Dictionary<string, int>(StringComparer.Ordinal);
        var of = new int[n];
        double lossA = 0, lossB = 0;
        var d = new double[n];
        var positives = 0;
        for (var i = 0; i < n; i++)
        {
            if (!cluster.TryGetValue(leads[i], out var g)) cluster[leads[i]] = g = cluster.Count;
            of[i] = g;
            var la = Loss(a[i], labels[i]);
            var lb = Loss(b[i], labels[i]);
            lossA += la;
            lossB += lb;
            d[i] = lb - la;
            if (labels[i]) positives++;
        }
        var groups = cluster.Count;
        var mean = (lossB - lossA) / n;
        if (groups < 2) return new PairedLossTest(n, groups, positives, lossA / n, lossB / n, mean, double.NaN, double.NaN);
        // Each cluster's summed residual; the sandwich variance of the mean is G/(G-1) * sum(u_g^2) / n^2.
        var u = new double[groups];
        for (var i = 0; i < n; i++) u[of[i]] += d[i] - mean;
        double s = 0;
        foreach (var x in u) s += x * x;
        var variance = (double)groups / (groups - 1) * s / ((double)n * n);
        var se = Math.Sqrt(variance);
        var z = se > 0 ? mean / se : mean == 0 ? 0 : Math.Sign(mean) * double.PositiveInfinity;
        return new PairedLossTest(n, groups, positives, lossA / n, lossB / n, mean, se, z);
    }

    /// <summary>The log loss of one clipped probability.</summary>
    public static double Loss(double p, bool positive)
    {
        var q = Math.Clamp(double.IsNaN(p) ? 0.5 : p, Clip, 1 - Clip);
        return -Math.Log(positive ? q : 1 - q);
    }
}
