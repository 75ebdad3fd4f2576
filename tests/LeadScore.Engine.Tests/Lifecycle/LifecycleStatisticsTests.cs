using LeadScore.Engine.Lifecycle;
using LeadScore.Engine.Metrics;

namespace LeadScore.Engine.Tests.Lifecycle;

/// <summary>The statistics behind the challenger and rollback decisions, against values computed once with scipy 1.10.</summary>
public sealed class LifecycleStatisticsTests
{
    [Theory]
    [InlineData(-6, 9.8658764503769458e-10)]
    [InlineData(-2.5, 0.0062096653257761323)]
    [InlineData(-1, 0.15865525393145707)]
    [InlineData(0, 0.5)]
    [InlineData(0.3, 0.61791142218895256)]
    [InlineData(1.96, 0.97500210485177952)]
    [InlineData(3.5, 0.99976737092096446)]
    public void Normal_cdf_matches_scipy(double z, double expected)
    {
        Normal.Cdf(z).ShouldBe(expected, Math.Max(1e-12, expected * 1e-9));
    }

    [Theory]
    [InlineData(1e-10, -6.3613409024040557)]
    [InlineData(0.001, -3.0902323061678132)]
    [InlineData(0.025, -1.9599639845400545)]
    [InlineData(0.3, -0.52440051270804089)]
    [InlineData(0.5, 0)]
    [InlineData(0.9, 1.2815515655446004)]
    [InlineData(0.999999, 4.7534243088170873)]
    public void Normal_quantile_matches_scipy(double p, double expected)
    {
        Normal.Quantile(p).ShouldBe(expected, 1e-9);
    }

    // y = (i*7919 mod 13) < 4; a = min(0.97, 0.6 (i*37 mod 101)/101 + (y ? 0.35 : 0.05)); b = min(1, ((i*53 mod 97) mod 9)/10 + 0.2y)
    // with b[5] = 0 and b[17] = 1 (clipped); lead = i*7 mod 113 (113 leads of 2-3 rows), i < 300. Expected from statsmodels 0.13.5:
    // OLS(loss_b - loss_a, 1).fit(cov_type="cluster", cov_kwds={"groups": lead}), and scipy's norm.sf for p.
    [Fact]
    public void The_paired_log_loss_test_matches_statsmodels_cluster_robust_standard_errors()
    {
        var (a, b, y, leads) = LossCase();
        var t = PairedLogLoss.Test(a, b, y, leads);
        t.Rows.ShouldBe(300);
        t.Leads.ShouldBe(113);
        t.Positives.ShouldBe(93);
        t.LogLossA.ShouldBe(0.4671320814772744, 1e-12);
        t.LogLossB.ShouldBe(0.666572871410345, 1e-12);
        t.Difference.ShouldBe(0.1994407899330705, 1e-12);
        t.StandardError.ShouldBe(0.05711226926335356, 1e-12);
        t.Z.ShouldBe(3.4920830936242084, 1e-9);
        t.PValueAGreater.ShouldBe(0.00023963456341520386, 1e-9);
        // The other way round: the same evidence against.
        var back = PairedLogLoss.Test(b, a, y, leads);
        back.Z.ShouldBe(-t.Z, 1e-12);
        back.PValueAGreater.ShouldBe(1 - 0.00023963456341520386, 1e-9);
    }

    [Fact]
    public void In_the_paired_log_loss_test_a_leads_rows_at_several_ages_count_as_one_leads_evidence()
    {
        // Each row written twice under its lead (a lead scored at two ages with the same probabilities): the mean difference
        // and its clustered standard error do not change; counted as independent rows, the error would shrink by sqrt(2).
        var (a, b, y, leads) = LossCase();
        var once = PairedLogLoss.Test(a, b, y, leads);
        var twice = PairedLogLoss.Test([.. a, .. a], [.. b, .. b], [.. y, .. y], [.. leads, .. leads]);
        twice.Rows.ShouldBe(600);
        twice.Leads.ShouldBe(113);
        twice.Difference.ShouldBe(once.Difference, 1e-12);
        twice.StandardError.ShouldBe(once.StandardError, 1e-12);
        // One row a lead: the plain z-test's standard error, sample SD * sqrt(n / (n - 1)) / sqrt(n) = SD / sqrt(n - 1) (population SD).
        var own = leads.Select((_, i) => $"own{i}").ToArray();
        var alone = PairedLogLoss.Test(a, b, y, own);
        var d = y.Select((l, i) => PairedLogLoss.Loss(b[i], l) - PairedLogLoss.Loss(a[i], l)).ToArray();
        var mean = d.Average();
        var populationSd = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / d.Length);
        alone.StandardError.ShouldBe(populationSd / Math.Sqrt(d.Length - 1), 1e-12);
        // A clipped probability costs at most -log(1e-6).
        PairedLogLoss.Loss(0, true).ShouldBe(-Math.Log(1e-6), 1e-12);
        PairedLogLoss.Loss(1, true).ShouldBe(-Math.Log(1 - 1e-6), 1e-12);
    }

    private static (double[] A, double[] B, bool[] Y, string[] Leads) LossCase()
    {
        const int n = 300;
        var y = new bool[n];
        var a = new double[n];
        var b = new double[n];
        var leads = new string[n];
        for (var i = 0; i < n; i++)
        {
            y[i] = i * 7919 % 13 < 4;
            a[i] = Math.Min(0.97, i * 37 % 101 / 101.0 * 0.6 + (y[i] ? 0.35 : 0.05));
            b[i] = Math.Min(1.0, i * 53 % 97 % 9 / 10.0 + (y[i] ? 0.2 : 0));
            leads[i] = $"L{i * 7 % 113}";
        }
        b[5] = 0;
        b[17] = 1;
        return (a, b, y, leads);
    }

    // y = (i*7919 mod 13) < 4; a = (i*37 mod 101)/101 + 0.35y; b = round((i*53 mod 97)/97 + 0.25y, 1) (ties), i < 300.
    // Expected from a numpy/scipy re-implementation of DeLong (Sun and Xu's midrank form, np.cov), run once.
    [Fact]
    public void DeLong_matches_a_scipy_reimplementation_on_tied_scores()
    {
        var n = 300;
        var y = new bool[n];
        var a = new double[n];
        var b = new double[n];
        for (var i = 0; i < n; i++)
        {
            y[i] = i * 7919 % 13 < 4;
            a[i] = i * 37 % 101 / 101.0 + (y[i] ? 0.35 : 0);
            b[i] = Math.Round(i * 53 % 97 / 97.0 + (y[i] ? 0.25 : 0), 1, MidpointRounding.ToEven);
        }
        var t = DeLong.Paired(a, b, y);
        t.AucA.ShouldBe(0.788894083424238, 1e-12);
        t.AucB.ShouldBe(0.729702353124513, 1e-12);
        t.AucA.ShouldBe(Ranking.Auc(a, y), 1e-12);
        t.StandardError.ShouldBe(0.03911239163428, 1e-10);
        t.Z.ShouldBe(1.51337537354392, 1e-8);
        t.PValueTwoSided.ShouldBe(0.130184336743361, 1e-8);
        t.PValueAGreater.ShouldBe(0.130184336743361 / 2, 1e-8);
    }

    [Fact]
    public void Unpaired_DeLong_matches_a_scipy_reimplementation()
    {
        // The same rows as above; arm A = even rows scored by a, arm B = odd rows scored by b.
        var n = 300;
        var (ya, sa, yb, sb) = (new List<bool>(), new List<double>(), new List<bool>(), new List<double>());
        for (var i = 0; i < n; i++)
        {
            var y = i * 7919 % 13 < 4;
            if (i % 2 == 0) { ya.Add(y); sa.Add(i * 37 % 101 / 101.0 + (y ? 0.35 : 0)); }
            else { yb.Add(y); sb.Add(Math.Round(i * 53 % 97 / 97.0 + (y ? 0.25 : 0), 1, MidpointRounding.ToEven)); }
        }
        var (aucA, varA, _) = DeLong.Single(sa, ya);
        aucA.ShouldBe(0.756061872909699, 1e-12);
        varA.ShouldBe(0.00174403600524078, 1e-12);
        DeLong.Single(sb, yb).Variance.ShouldBe(0.00180731037589069, 1e-12);
        var t = DeLong.Unpaired(sa, ya, sb, yb);
        t.AucB.ShouldBe(0.740033051022516, 1e-12);
        t.Z.ShouldBe(0.268970770063638, 1e-9);
        t.PValueAGreater.ShouldBe(0.39397608807317, 1e-9);
    }

    [Fact]
    public void DeLong_of_a_score_with_itself_has_no_difference()
    {
        var rng = new Random(3);
        var y = Enumerable.Range(0, 500).Select(_ => rng.NextDouble() < 0.3).ToArray();
        var s = y.Select(l => rng.NextDouble() + (l ? 0.4 : 0)).ToArray();
        var t = DeLong.Paired(s, s, y);
        t.Difference.ShouldBe(0);
        t.PValueTwoSided.ShouldBe(1);
    }

    [Theory]
    [InlineData(0.1, 5.7203197734168043e-10)]
    [InlineData(0.25, 8.8575438321303324e-05)]
    [InlineData(0.5, 0.005574596680784305)]
    [InlineData(0.75, 0.023625121317601305)]
    [InlineData(1.0, 0.05)]
    public void OBrien_Fleming_spending_matches_scipy(double t, double expected)
    {
        AlphaSpending.Spent(0.05, t).ShouldBe(expected, Math.Max(1e-15, expected * 1e-7));
    }

    [Fact]
    public void Sequential_looks_never_spend_more_than_alpha_in_total()
    {
        var earlier = new List<double>();
        foreach (var t in new[] { 0.1, 0.3, 0.3, 0.55, 0.8, 1.0, 1.0 })
        {
            var look = AlphaSpending.Look(0.05, earlier, t, pValue: 0.5);
            look.Reject.ShouldBeFalse();
            look.AlphaSpentAfter.ShouldBe(AlphaSpending.Spent(0.05, t), 1e-15);
            earlier.Add(t);
        }
        // A repeated look at the same information tests at nothing; the first at 0.5 at about 0.0056 minus nothing before.
        AlphaSpending.Look(0.05, [0.5], 0.5, pValue: 1e-9).AlphaThisLook.ShouldBe(0);
        AlphaSpending.Look(0.05, [0.5], 1.0, pValue: 0.01).Reject.ShouldBeTrue();
        AlphaSpending.Look(0.05, [0.5], 1.0, pValue: 0.01).Final.ShouldBeTrue();
        Should.Throw<ArgumentOutOfRangeException>(() => AlphaSpending.Look(0.05, [0.5], 0.4, 0.01));
        // The conservative form (a test begun before the fractions were kept) tests at the increment.
        var old = AlphaSpending.LookByIncrement(0.05, 0.0056, 1.0, pValue: 0.04);
        (old.AlphaThisLook, old.Reject).ShouldBe((0.05 - 0.0056, true));
    }

    [Theory]
    // scipy 1.10 (multivariate_normal.cdf, Genz, abseps 1e-10; brentq): P(Z_1 < b_1, ..., Z_k-1 < b_k-1, Z_k >= b_k) equal to
    // each increment of the O'Brien-Fleming spending function (group_sequential_oracle.py beside this file).
    // The first row is also the published Lan-DeMets table (one-sided 0.025, five equal looks: 4.877, 3.357, 2.680, 2.290, 2.031).
    [InlineData(0.025, new[] { 0.2, 0.4, 0.6, 0.8, 1.0 }, new[] { 4.87688, 3.35701, 2.68028, 2.28982, 2.03103 })]
    [InlineData(0.05, new[] { 0.27, 0.54, 0.82, 1.0 }, new[] { 3.59535, 2.42791, 1.90986, 1.74273 })]
    public void Exact_boundaries_match_scipy(double alpha, double[] fractions, double[] expected)
    {
        var b = AlphaSpending.Boundaries(alpha, fractions);
        b.Length.ShouldBe(expected.Length);
        for (var i = 0; i < b.Length; i++) b[i].ShouldBe(expected[i], 2e-4, $"look {i + 1}");
    }

    [Fact]
    public void Exact_boundaries_spend_alpha_in_all_when_the_arms_are_equal()
    {
        // 200,000 simulated paths of the looks' z statistics under the null (a Brownian motion's increments): the share that
        // ever crosses is alpha, and each look's share its increment.
        double[] t = [0.27, 0.54, 0.82, 1.0];
        var b = AlphaSpending.Boundaries(0.05, t);
        var rng = new Random(5);
        const int paths = 200_000;
        var first = new int[t.Length];
        for (var p = 0; p < paths; p++)
        {
            double s = 0, prev = 0;
            for (var k = 0; k < t.Length; k++)
            {
                s += Math.Sqrt(t[k] - prev) * Gaussian(rng);
                prev = t[k];
                if (s / Math.Sqrt(t[k]) >= b[k]) { first[k]++; break; }
            }
        }
        var tolerance = 4 * Math.Sqrt(0.05 * 0.95 / paths);
        ((double)first.Sum() / paths).ShouldBe(0.05, tolerance);
        for (var k = 0; k < t.Length; k++)
            ((double)first[k] / paths).ShouldBe(AlphaSpending.Spent(0.05, t[k]) - (k == 0 ? 0 : AlphaSpending.Spent(0.05, t[k - 1])), tolerance);
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    [Fact]
    public void Sequential_test_controls_the_false_promotion_rate_when_the_arms_are_equal()
    {
        // 2,000 simulated challenges where the challenger is exactly as good: 10 looks each on a two-proportion test.
        var rng = new Random(11);
        var promoted = 0;
        const int trials = 2000;
        for (var trial = 0; trial < trials; trial++)
        {
            int na = 0, pa = 0, nb = 0, pb = 0;
            var earlier = new List<double>();
            for (var look = 1; look <= 10; look++)
            {
                for (var i = 0; i < 100; i++) { na++; nb++; if (rng.NextDouble() < 0.2) pa++; if (rng.NextDouble() < 0.2) pb++; }
                var l = AlphaSpending.Look(0.05, earlier, look / 10.0, Proportions.Compare(na, pa, nb, pb).PValueAGreater);
                earlier.Add(look / 10.0);
                if (l.Reject) { promoted++; break; }
            }
        }
        ((double)promoted / trials).ShouldBeLessThanOrEqualTo(0.05 + 3 * Math.Sqrt(0.05 * 0.95 / trials));
    }

    [Fact]
    public void Two_proportion_test_matches_scipy()
    {
        // 60/200 against 40/200, pooled: z = 0.1 / sqrt(0.25 * 0.75 * 2/200); scipy.stats.norm.sf(z) = 0.010460667668897007.
        var t = Proportions.Compare(200, 60, 200, 40);
        t.Z.ShouldBe(2.3094010767585034, 1e-12);
        t.PValueAGreater.ShouldBe(0.010460667668897007, 1e-10);
        Proportions.Top([0.9, 0.1, 0.8, 0.2, 0.5, 0.4, 0.3, 0.6, 0.7, 0.05], [true, false, false, false, false, false, false, false, true, false], 0.2).ShouldBe((2, 1));
    }

    [Fact]
    public void Split_share_is_sticky_and_within_one_point_of_the_setting_over_10000_leads()
    {
        foreach (var percent in new[] { 5.0, 10, 25, 50 })
        {
            var served = Enumerable.Range(0, 10_000).Count(i => ChallengerSplit.ServedByChallenger($"L{i:D6}", percent));
            (served / 100.0).ShouldBe(percent, 1.0, $"share at {percent}%");
        }
        // Sequential ids ("lead-1", "lead-2") spread as well as padded ones.
        (Enumerable.Range(0, 10_000).Count(i => ChallengerSplit.ServedByChallenger($"lead-{i}", 10)) / 100.0).ShouldBe(10, 1.0);
        // Sticky: the same id lands in the same bucket every time, and a larger share only adds leads.
        ChallengerSplit.Bucket("L000123").ShouldBe(ChallengerSplit.Bucket(new string("L000123".ToCharArray())));
        for (var i = 0; i < 2000; i++)
            if (ChallengerSplit.ServedByChallenger($"L{i}", 10)) ChallengerSplit.ServedByChallenger($"L{i}", 20).ShouldBeTrue();
    }
}
