using LeadScore.Engine.Metrics;
using LeadScore.Engine.Monitoring;

namespace LeadScore.Engine.Tests.Monitoring;

public sealed class PerformanceTests
{
    // NannyML's estimate_roc_auc re-implemented in numpy in scipy_oracle.py (sorted by falling p, cumulative sums rounded to
    // 5 decimals, trapezoids over the expected ROC curve).
    [Fact]
    public void Estimated_auc_matches_NannyML_formula_on_fixed_probabilities()
    {
        Performance.EstimatedAuc([0.9, 0.8, 0.8, 0.35, 0.2, 0.05, 0.6, 0.01]).ShouldBe(0.8779239628296233, 1e-9);
        Performance.EstimatedAuc(Samples.Lcg(51, 3000, 1000, 1000.0)).ShouldBe(0.8330875938594338, 1e-9);
    }

    [Fact]
    public void Expected_confusion_matrix_sums_probabilities_by_hand()
    {
        var e = Performance.Estimated([0.9, 0.6, 0.4, 0.1], 0.5);
        e.Confusion.TruePositives.ShouldBe(1.5, 1e-12);
        e.Confusion.FalsePositives.ShouldBe(0.5, 1e-12);
        e.Confusion.FalseNegatives.ShouldBe(0.5, 1e-12);
        e.Confusion.TrueNegatives.ShouldBe(1.5, 1e-12);
        e.Precision.ShouldBe(0.75, 1e-12);
        e.Recall.ShouldBe(0.75, 1e-12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Cbpe_estimate_is_within_003_of_realized_auc_on_calibrated_probabilities(int seed)
    {
        // Well calibrated by construction: each label is drawn from its own probability.
        var rng = new Random(seed);
        var n = 20_000;
        var p = new double[n]; var y = new bool[n];
        for (var i = 0; i < n; i++)
        {
            var z = -2.0 + 1.5 * Normal(rng);
            p[i] = 1 / (1 + Math.Exp(-z));
            y[i] = rng.NextDouble() < p[i];
        }
        var realized = Ranking.Auc(p, y);
        Math.Abs(Performance.EstimatedAuc(p) - realized).ShouldBeLessThan(0.03);
    }

    [Fact]
    public void Cbpe_sees_a_model_that_lost_its_calibration_as_no_worse_but_realized_auc_drops()
    {
        // Concept drift: the same probabilities, labels no longer following them. CBPE cannot see it (it only reads p);
        // the realized AUC falls to chance, which is why matured cohorts are compared with the estimate.
        var rng = new Random(7);
        var p = Enumerable.Range(0, 5000).Select(_ => rng.NextDouble()).ToArray();
        var y = p.Select(_ => rng.NextDouble() < 0.3).ToArray();
        var realized = Performance.Realized(p, y);
        realized.Auc.ShouldBeInRange(0.45, 0.55);
        Performance.EstimatedAuc(p).ShouldBeGreaterThan(0.7);
    }

    [Fact]
    public void Realized_performance_reuses_the_model_card_metrics_and_reports_calibration_per_grade()
    {
        double[] p = [0.9, 0.8, 0.3, 0.2, 0.1, 0.05];
        bool[] y = [true, false, true, false, false, false];
        string?[] g = ["A", "A", "B", "B", "C", "C"];
        var r = Performance.Realized(p, y, g);
        var m = LeadScore.Engine.Modeling.Evaluator.Evaluate(p, y);
        r.Auc.ShouldBe(m.Auc); r.PrAuc.ShouldBe(m.PrAuc); r.Ece.ShouldBe(m.Ece); r.LiftAt10.ShouldBe(m.LiftAt(0.1).Lift);
        r.CalibrationPerGrade.Select(c => c.Grade).ShouldBe(["A", "B", "C"]);
        r.CalibrationPerGrade[0].MeanPredicted.ShouldBe(0.85, 1e-12);
        r.CalibrationPerGrade[0].ObservedRate.ShouldBe(0.5, 1e-12);
    }

    internal static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
