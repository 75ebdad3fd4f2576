using LeadScore.Engine.Monitoring;

namespace LeadScore.Engine.Tests.Monitoring;

/// <summary>
/// Every statistic against scipy 1.10.1 / numpy 1.24.2 on fixed samples (ties, empty bins, single-valued features).
/// The expected values were computed once with tests/LeadScore.Engine.Tests/Monitoring/scipy_oracle.py; the call is
/// named on each group.
/// </summary>
public sealed class DriftStatisticsTests
{
    private const double Tol = 1e-9;

    private static readonly Dictionary<string, (double[] Ref, double[] Cur)> KsCases = new()
    {
        ["ks_small_ties"] = ([1.2, 3.4, 3.4, 5.0, 2.2, 7.1, 0.5, 3.4, 9.9, 4.4], [3.4, 3.4, 6.0, 7.1, 8.8, 5.0, 5.5, 9.9, 9.9, 2.2, 6.1, 7.7, 3.4]),
        ["ks_equal_sizes"] = (Samples.Lcg(7, 60, 50, 10.0), Samples.Lcg(8, 60, 50, 10.0, 0.8)),
        ["ks_exact_medium"] = (Samples.Lcg(1, 800, 1000, 100.0), Samples.Lcg(2, 1200, 1000, 100.0, 0.4)),
        ["ks_exact_nodrift"] = (Samples.Lcg(3, 900, 997, 10.0), Samples.Lcg(4, 2500, 997, 10.0)),
        ["ks_asymp_pelzgood"] = (Samples.Lcg(5, 900, 10007, 100.0), Samples.Lcg(6, 12000, 10007, 100.0, 2.5)),
        ["ks_asymp_smirnov"] = (Samples.Lcg(9, 900, 10007, 100.0), Samples.Lcg(10, 12000, 10007, 100.0, 6.0)),
        ["ks_asymp_small_d"] = (Samples.Lcg(11, 900, 10007, 100.0), Samples.Lcg(12, 12000, 10007, 100.0)),
        ["ks_asymp_n_le_140"] = (Samples.Lcg(13, 120, 1009, 10.0), Samples.Lcg(14, 15000, 1009, 10.0, 3.0)),
        ["ks_asymp_n_le_140_nodrift"] = (Samples.Lcg(15, 120, 1009, 10.0), Samples.Lcg(16, 15000, 1009, 10.0)),
        ["ks_single_valued"] = (Enumerable.Repeat(5.0, 50).ToArray(), [.. Enumerable.Repeat(5.0, 40), .. Samples.Lcg(17, 10, 100, 10.0)]),
    };

    // scipy.stats.ks_2samp(ref, cur) (method='auto'): (statistic, pvalue)
    private static readonly Dictionary<string, (double D, double P)> KsExpected = new()
    {
        ["ks_small_ties"] = (0.4153846153846154, 0.22063674648140924),
        ["ks_equal_sizes"] = (0.2833333333333333, 0.015787628382725075),
        ["ks_exact_medium"] = (0.050416666666666665, 0.17014502918393884),
        ["ks_exact_nodrift"] = (0.030711111111111113, 0.548595515932108),
        ["ks_asymp_pelzgood"] = (0.03413888888888883, 0.277131880238067),
        ["ks_asymp_smirnov"] = (0.09019444444444447, 2.2461866946932473e-06),
        ["ks_asymp_small_d"] = (0.02913888888888888, 0.46727467160186165),
        ["ks_asymp_n_le_140"] = (0.11926666666666667, 0.062254794489912696),
        ["ks_asymp_n_le_140_nodrift"] = (0.0894666666666667, 0.27968385417750896),
        ["ks_single_valued"] = (0.12, 0.8692618870414056),
    };

    public static TheoryData<string> KsNames => new(KsCases.Keys);

    [Theory]
    [MemberData(nameof(KsNames))]
    public void Kolmogorov_Smirnov_matches_scipy_ks_2samp(string name)
    {
        var (r, c) = KsCases[name];
        var (d, p) = DriftStatistics.KolmogorovSmirnov(Samples.Sorted(r), Samples.Sorted(c));
        d.ShouldBe(KsExpected[name].D, Tol, name);
        p.ShouldBe(KsExpected[name].P, Tol, name);
    }

    [Fact]
    public void Identical_single_valued_samples_have_no_KS_distance()
    {
        var (d, p) = DriftStatistics.KolmogorovSmirnov([3.0, 3.0, 3.0], [3.0, 3.0]);
        d.ShouldBe(0);
        p.ShouldBe(1);
    }

    // scipy.stats.kstwo.sf(x, n): the asymptotic p-value's distribution, over each of its methods.
    [Theory]
    [InlineData(837, 0.03, 0.430145240054696)]
    [InlineData(837, 0.05, 0.029409843229903587)]
    [InlineData(837, 0.07, 0.0005193372610254259)]
    [InlineData(837, 0.01, 0.9999941865919212)]
    [InlineData(119, 0.05, 0.9126783345757014)]
    [InlineData(119, 0.1, 0.17288634832826136)]
    [InlineData(119, 0.2, 0.00011975930319091961)]
    [InlineData(119, 0.6, 1.703193219441999e-41)]
    [InlineData(500, 0.004, 1.0)]
    [InlineData(50, 0.3, 0.00017353260202718738)]
    public void Kolmogorov_survival_matches_scipy_kstwo(int n, double x, double expected) =>
        Kolmogorov.Sf(n, x).ShouldBe(expected, Tol);

    private static readonly Dictionary<string, (double[] Ref, double[] Cur, double W, double WNorm)> WCases = new()
    {
        // (scipy.stats.wasserstein_distance(ref, cur), that / max(np.std(ref), 0.001))
        ["w_ties"] = ([1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 7.5], [2.0, 2.0, 3.0, 3.0, 9.0], 1.1571428571428566, 0.5556554158617284),
        ["w_medium"] = (Samples.Lcg(21, 1500, 1000, 100.0), Samples.Lcg(22, 3000, 1000, 100.0, 0.9), 0.8949066666666669, 0.31098768146002254),
        ["w_single_valued_ref"] = (Enumerable.Repeat(4.0, 30).ToArray(), [4.0, 4.0, 4.5, 5.0], 0.375, 375.0),
    };

    public static TheoryData<string> WNames => new(WCases.Keys);

    [Theory]
    [MemberData(nameof(WNames))]
    public void Wasserstein_matches_scipy_and_Evidently_norm(string name)
    {
        var (r, c, w, wn) = WCases[name];
        DriftStatistics.Wasserstein(Samples.Sorted(r), Samples.Sorted(c)).ShouldBe(w, Tol);
        DriftStatistics.WassersteinNormed(Samples.Sorted(r), Samples.Sorted(c)).ShouldBe(wn, Tol);
    }

    private static readonly Dictionary<string, (double[] Ref, double[] Cur, double Psi, double Js)> BCases = new()
    {
        // Evidently psi (get_binned_data with feel_zeroes) and jensenshannon (scipy.spatial.distance.jensenshannon on the
        // same bins, no zero filling): sturges bins over both samples when the reference has more than 20 values, else values.
        ["b_numeric_empty_bins"] = ([.. Samples.Lcg(31, 1200, 1000, 100.0), 40.0, 41.5], Samples.Lcg(32, 2000, 300, 100.0, 5.0), 3.0971558067562532, 0.38861143598424536),
        ["b_numeric_shift"] = (Samples.Lcg(33, 1500, 1000, 100.0), Samples.Lcg(34, 1500, 1000, 100.0, 2.0), 2.414245533345982, 0.3520816874441972),
        ["b_few_values"] = (Samples.Lcg(35, 1200, 4, 1.0), Samples.Lcg(36, 1300, 5, 1.0), 1.4654534827755399, 0.2662951563446314),
        ["b_single_valued"] = (Enumerable.Repeat(2.0, 1500).ToArray(), Samples.Repeat((2.0, 1400), (3.0, 100)), 0.4374353071403075, 0.15388220368595645),
    };

    public static TheoryData<string> BNames => new(BCases.Keys);

    [Theory]
    [MemberData(nameof(BNames))]
    public void Psi_and_Jensen_Shannon_match_Evidently_binning(string name)
    {
        var (r, c, psi, js) = BCases[name];
        var reference = ReferenceProfile.Build(new DriftSample([FeatureColumn.Numeric("x", r)]));
        var current = new DriftSample([FeatureColumn.Numeric("x", c)]);
        DriftEngine.Compare(reference, current, new DriftOptions { Multivariate = false }).Features[0].Psi.ShouldBe(psi, Tol);
        var (rs, cs) = DriftEngine.Binned(reference, 0, current.Columns[0], fillZeros: false);
        DriftStatistics.JensenShannon(rs, cs).ShouldBe(js, Tol);
    }

    private static readonly Dictionary<string, (double[] Ref, double[] Cur, double Stat, double P)> ChiCases = new()
    {
        // scipy.stats.chisquare(f_obs=current counts, f_exp=reference counts * len(cur)/len(ref)) as Evidently calls it
        ["c_three"] = (Samples.Lcg(41, 700, 3, 1.0), Samples.Lcg(42, 500, 3, 1.0), 1.166700048029412, 0.5580258318609621),
        ["c_empty_in_current"] = (Samples.Repeat((0, 40), (1, 30), (2, 5), (3, 25)), Samples.Repeat((0, 50), (1, 20), (3, 30)), 11.833333333333334, 0.007976452660687333),
        ["c_new_in_current"] = (Samples.Repeat((0, 40), (1, 60)), Samples.Repeat((0, 30), (1, 60), (2, 10)), double.PositiveInfinity, 0.0),
    };

    public static TheoryData<string> ChiNames => new(ChiCases.Keys);

    [Theory]
    [MemberData(nameof(ChiNames))]
    public void Chi_squared_matches_scipy_chisquare_with_reference_proportions(string name)
    {
        var (r, c, stat, p) = ChiCases[name];
        var keys = r.Concat(c).Distinct().Order().ToArray();
        var rc = keys.Select(k => (double)r.Count(v => v == k)).ToArray();
        var cc = keys.Select(k => (double)c.Count(v => v == k)).ToArray();
        var (s, pv) = DriftStatistics.ChiSquared(rc, cc);
        if (double.IsPositiveInfinity(stat)) s.ShouldBe(double.PositiveInfinity); else s.ShouldBe(stat, Tol);
        pv.ShouldBe(p, Tol);
    }

    [Theory]
    // scipy.stats.chi2_contingency([reference, current]) (Yates' correction at one degree of freedom): the grade-mix test
    [InlineData(new double[] { 120, 300, 480, 100 }, new double[] { 150, 280, 470, 100 }, 4.128251663641864, 0.2479441446617798)]
    [InlineData(new double[] { 40, 60 }, new double[] { 30, 70 }, 1.7802197802197803, 0.18212234100949087)]
    [InlineData(new double[] { 10, 0, 5 }, new double[] { 3, 4, 8 }, 8.461538461538462, 0.014541200706177662)]
    public void Contingency_chi_squared_matches_scipy_chi2_contingency(double[] r, double[] c, double stat, double p)
    {
        var (s, pv) = DriftStatistics.ChiSquaredContingency(r, c);
        s.ShouldBe(stat, Tol);
        pv.ShouldBe(p, Tol);
    }

    [Theory]
    // Evidently's z stattest: (z, 2 * (1 - scipy.stats.norm.cdf(|z|))), ones = rows not equal to the smallest value
    [InlineData(400, 1000, 240, 500, -2.9531221160930903, 0.003145774928543732)]
    [InlineData(300, 300, 290, 300, 3.1889640207163974, 0.0014278364777369212)]
    [InlineData(300, 300, 200, 200, 0.0, 1.0)]
    public void Z_test_matches_Evidently(long refOnes, long refRows, long curOnes, long curRows, double z, double p)
    {
        var (s, pv) = DriftStatistics.ZTest(refOnes, refRows, curOnes, curRows);
        s.ShouldBe(z, Tol);
        pv.ShouldBe(p, Tol);
    }
}
