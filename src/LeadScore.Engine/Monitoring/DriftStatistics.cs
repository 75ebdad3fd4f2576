namespace LeadScore.Engine.Monitoring;

/// <summary>
/// The drift statistics, each the same number as its scipy / Evidently counterpart (checked in the tests to 1e-9).
/// Inputs that must be sorted say so; missing values must already be removed.
/// </summary>
public static class DriftStatistics
{
    /// <summary>scipy.stats.ks_2samp(reference, current) with method='auto': the D statistic and the two-sided p-value.</summary>
    public static (double Statistic, double PValue) KolmogorovSmirnov(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> sortedCurrent) => throw new NotImplementedException();

    /// <summary>Evidently's chisquare stattest: expected = reference counts x (current rows / reference rows); scipy.stats.chisquare.</summary>
    public static (double Statistic, double PValue) ChiSquared(ReadOnlySpan<double> referenceCounts, ReadOnlySpan<double> currentCounts) => throw new NotImplementedException();

    /// <summary>Evidently's z stattest: two-proportion z-test on the share of the second value; two-sided p-value.</summary>
    public static (double Statistic, double PValue) ZTest(long referenceOnes, long referenceRows, long currentOnes, long currentRows) => throw new NotImplementedException();

    /// <summary>scipy.stats.wasserstein_distance on two sorted samples.</summary>
    public static double Wasserstein(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> sortedCurrent) => throw new NotImplementedException();

    /// <summary>Evidently's wasserstein_distance_norm: Wasserstein / max(reference population std, 0.001).</summary>
    public static double WassersteinNormed(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> sortedCurrent) => throw new NotImplementedException();

    /// <summary>scipy.spatial.distance.jensenshannon(p, q) (natural log): both are normalised to sum 1 first.</summary>
    public static double JensenShannon(ReadOnlySpan<double> p, ReadOnlySpan<double> q) => throw new NotImplementedException();

    /// <summary>Evidently's psi: sum((ref - cur) * ln(ref / cur)) over the shares (zeros already filled).</summary>
    public static double Psi(ReadOnlySpan<double> referenceShares, ReadOnlySpan<double> currentShares) => throw new NotImplementedException();
}
