using LeadScore.Core;
using LeadScore.Engine.Monitoring;

namespace LeadScore.Engine.Tests.Monitoring;

public sealed class DriftEngineTests
{
    private static readonly DriftOptions NoMulti = new() { Multivariate = false };

    [Theory]
    // Evidently's default stattest by reference size and distinct values (reference and current together)
    [InlineData(FeatureKind.Numeric, 1000, 6, DriftTest.KolmogorovSmirnov)]
    [InlineData(FeatureKind.Numeric, 1000, 5, DriftTest.ChiSquared)]
    [InlineData(FeatureKind.Numeric, 1000, 2, DriftTest.ZTest)]
    [InlineData(FeatureKind.Categorical, 500, 40, DriftTest.ChiSquared)]
    [InlineData(FeatureKind.Categorical, 500, 2, DriftTest.ZTest)]
    [InlineData(FeatureKind.Numeric, 1001, 6, DriftTest.Wasserstein)]
    [InlineData(FeatureKind.Numeric, 1001, 5, DriftTest.JensenShannon)]
    [InlineData(FeatureKind.Categorical, 5000, 2, DriftTest.JensenShannon)]
    public void Test_choice_follows_reference_size_and_distinct_values(FeatureKind kind, int rows, int unique, DriftTest expected) =>
        DriftEngine.ChooseTest(kind, rows, unique).ShouldBe(expected);

    [Fact]
    public void Engine_applies_the_rule_and_thresholds_per_feature()
    {
        var small = new DriftSample([FeatureColumn.Numeric("x", Samples.Lcg(1, 800, 1000, 100.0)), FeatureColumn.Categorical("c", Cats(2, 800, 4))]);
        var cur = new DriftSample([FeatureColumn.Numeric("x", Samples.Lcg(2, 1200, 1000, 100.0, 0.4)), FeatureColumn.Categorical("c", Cats(3, 1200, 4))]);
        var r = DriftEngine.Compare(small, cur, NoMulti);
        r.Features[0].Test.ShouldBe(DriftTest.KolmogorovSmirnov);
        // The same number as the statistic test: ks_exact_medium in DriftStatisticsTests.
        r.Features[0].PValue!.Value.ShouldBe(0.17014502918393884, 1e-9);
        r.Features[0].Drifted.ShouldBeFalse();
        r.Features[1].Test.ShouldBe(DriftTest.ChiSquared);

        var big = new DriftSample([FeatureColumn.Numeric("x", Samples.Lcg(1, 3000, 1000, 100.0)), FeatureColumn.Categorical("c", Cats(2, 3000, 4))]);
        var r2 = DriftEngine.Compare(big, cur, NoMulti);
        r2.Features[0].Test.ShouldBe(DriftTest.Wasserstein);
        r2.Features[0].PValue.ShouldBeNull();
        r2.Features[0].Threshold.ShouldBe(0.1);
        r2.Features[1].Test.ShouldBe(DriftTest.JensenShannon);
    }

    [Fact]
    public void Shifted_numeric_and_category_are_flagged_with_a_sentence()
    {
        var rng = new Random(1);
        var refX = Enumerable.Range(0, 5000).Select(_ => 2 + PerformanceTests.Normal(rng)).ToArray();
        var curX = Enumerable.Range(0, 5000).Select(_ => 3.4 + PerformanceTests.Normal(rng)).ToArray();
        string?[] refC = Enumerable.Range(0, 5000).Select(i => i % 10 < 3 ? "Google" : i % 10 < 7 ? "Direct" : "Referral").ToArray();
        string?[] curC = Enumerable.Range(0, 5000).Select(i => i % 10 < 1 ? "Google" : i % 10 < 6 ? "Direct" : "Referral").ToArray();
        var r = DriftEngine.Compare(new DriftSample([FeatureColumn.Numeric("pricing_page_visits", refX), FeatureColumn.Categorical("lead_source", refC)]),
            new DriftSample([FeatureColumn.Numeric("pricing_page_visits", curX), FeatureColumn.Categorical("lead_source", curC)]), NoMulti);
        r.Features.ShouldAllBe(f => f.Drifted);
        r.Features[0].Explanation.ShouldMatch(@"^pricing_page_visits moved: mean 2\.\d+ -> 3\.\d+ \(Wasserstein 1\.\d\d\)$");
        r.Features[1].Explanation.ShouldBe($"lead_source: share of 'Google' 30% -> 10% (Jensen-Shannon {r.Features[1].Statistic.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)})");
        r.DatasetDrift.ShouldBeTrue();
    }

    [Fact]
    public void Dataset_drift_follows_the_importance_share()
    {
        var rng = new Random(2);
        double[] Col(double shift) => Enumerable.Range(0, 3000).Select(_ => shift + PerformanceTests.Normal(rng)).ToArray();
        var reference = new DriftSample([FeatureColumn.Numeric("a", Col(0)), FeatureColumn.Numeric("b", Col(0)), FeatureColumn.Numeric("c", Col(0))]);
        var current = new DriftSample([FeatureColumn.Numeric("a", Col(1)), FeatureColumn.Numeric("b", Col(0)), FeatureColumn.Numeric("c", Col(0))]);
        var profile = ReferenceProfile.Build(reference);
        // Equal weights: one of three drifted = 33% < 50%.
        var equal = DriftEngine.Compare(profile, current, NoMulti);
        equal.Features.Count(f => f.Drifted).ShouldBe(1);
        equal.DriftedImportanceShare.ShouldBe(1 / 3.0, 1e-12);
        equal.DatasetDrift.ShouldBeFalse();
        // The drifted feature carries 60% of the importance.
        var weighted = DriftEngine.Compare(profile, current, NoMulti, new Dictionary<string, double> { ["a"] = 0.3, ["b"] = 0.1, ["c"] = 0.1 });
        weighted.DriftedImportanceShare.ShouldBe(0.6, 1e-12);
        weighted.DatasetDrift.ShouldBeTrue();
        // Configurable share.
        DriftEngine.Compare(profile, current, NoMulti with { DatasetDriftShare = 0.3 }).DatasetDrift.ShouldBeTrue();
    }

    [Fact]
    public void Score_and_grade_mix_drift_are_reported()
    {
        var rng = new Random(3);
        var rs = Enumerable.Range(0, 2000).Select(_ => rng.NextDouble() * 0.5).ToArray();
        var cs = Enumerable.Range(0, 2000).Select(_ => 0.2 + rng.NextDouble() * 0.5).ToArray();
        string Grade(double p) => p >= 0.5 ? "A" : p >= 0.3 ? "B" : p >= 0.1 ? "C" : "D";
        var x = FeatureColumn.Numeric("x", Samples.Lcg(1, 2000, 100, 1.0));
        var r = DriftEngine.Compare(new DriftSample([x]) { Scores = rs, Grades = rs.Select(Grade).ToArray() },
            new DriftSample([x]) { Scores = cs, Grades = cs.Select(Grade).ToArray() }, NoMulti);
        r.ScoreDrift!.Drifted.ShouldBeTrue();
        r.ScoreDrift.Feature.ShouldBe("score");
        r.GradeMixDrift!.Drifted.ShouldBeTrue();
        r.GradeMixDrift.PValue.ShouldBeLessThan(1e-6);
        r.Features[0].Drifted.ShouldBeFalse();
    }

    [Fact]
    public void Domain_classifier_separates_shifted_columns_and_not_unshifted_ones()
    {
        var rng = new Random(4);
        DriftSample Sample(double shiftA, double corr)
        {
            var n = 1500;
            var a = new double[n]; var b = new double[n]; var c = new string?[n];
            for (var i = 0; i < n; i++)
            {
                a[i] = shiftA + PerformanceTests.Normal(rng);
                b[i] = corr * a[i] + PerformanceTests.Normal(rng);
                c[i] = rng.Next(3).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            return new DriftSample([FeatureColumn.Numeric("a", a), FeatureColumn.Numeric("b", b), FeatureColumn.Categorical("c", c)]);
        }
        var reference = Sample(0, 0);
        var same = DomainClassifier.Run(reference, Sample(0, 0));
        same.Drifted.ShouldBeFalse();
        same.Auc.ShouldBeInRange(0.4, 0.6);
        var shifted = DomainClassifier.Run(reference, Sample(1.0, 0));
        shifted.Drifted.ShouldBeTrue();
        shifted.TopFeatures[0].Feature.ShouldBe("a");
        // Joint drift only: b's marginal barely changes, but its relation with a does.
        var joint = DomainClassifier.Run(reference, Sample(0, 1.5));
        joint.Auc.ShouldBeGreaterThan(0.65);
        // Seeded: the same inputs give the same AUC.
        DomainClassifier.Run(reference, Sample(1.0, 0) with { }).Auc.ShouldBeGreaterThan(0.65);
        DomainClassifier.Run(reference, reference).Auc.ShouldBe(DomainClassifier.Run(reference, reference).Auc);
    }

    [Fact]
    public void Window_sampler_keeps_capacity_rows_seeded_and_resets()
    {
        (string, FeatureKind)[] schema = [("x", FeatureKind.Numeric), ("c", FeatureKind.Categorical)];
        var s = new WindowSampler(schema, 100, seed: 5);
        for (var i = 0; i < 10_000; i++) s.Add([FeatureValue.Of(i), FeatureValue.Of(i % 2 == 0 ? "even" : "odd")], i / 10_000.0, "A");
        s.Seen.ShouldBe(10_000);
        var a = s.ToSample();
        a.Rows.ShouldBe(100);
        a.Columns[0].Numbers!.Distinct().Count().ShouldBe(100);
        // Drawn from the whole stream, not only its start.
        a.Columns[0].Numbers!.Average().ShouldBeInRange(3000, 7000);
        a.Scores!.Length.ShouldBe(100);
        s.Reset();
        for (var i = 0; i < 10_000; i++) s.Add([FeatureValue.Of(i), FeatureValue.Of("x")], i / 10_000.0, "A");
        s.ToSample().Columns[0].Numbers.ShouldBe(a.Columns[0].Numbers);
        s.Reset();
        for (var i = 0; i < 50; i++) s.Add([FeatureValue.Of(i), FeatureValue.Missing]);
        s.ToSample().Rows.ShouldBe(50);
    }

    [Fact]
    public void Missing_values_are_left_out_and_counted()
    {
        var r = DriftEngine.Compare(new DriftSample([FeatureColumn.Numeric("x", [1, 2, double.NaN, 3, 4, 5, 6, 7])]),
            new DriftSample([FeatureColumn.Numeric("x", [double.NaN, double.NaN, 1, 2, 3, 4, 5, 6, 7])]), NoMulti);
        r.Features[0].Reference.Missing.ShouldBe(1);
        r.Features[0].Current.Missing.ShouldBe(2);
        r.Features[0].PValue!.Value.ShouldBe(1.0, 1e-12);
        var empty = DriftEngine.Compare(new DriftSample([FeatureColumn.Numeric("x", [1, 2, 3])]), new DriftSample([FeatureColumn.Numeric("x", [double.NaN])]), NoMulti);
        empty.Features[0].Drifted.ShouldBeFalse();
        empty.Features[0].Explanation.ShouldContain("no values");
    }

    private static string?[] Cats(long seed, int n, long k) => Samples.Lcg(seed, n, k, 1.0).Select(v => "c" + v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}
