using LeadScore.Core;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Tests.Modeling;

public sealed class EvaluatorTests
{
    [Fact]
    public void Log_loss_is_in_nats_and_brier_is_mean_squared_error()
    {
        var m = Evaluator.Evaluate([0.8, 0.4], [true, false]);
        m.LogLoss.ShouldBe(-(Math.Log(0.8) + Math.Log(0.6)) / 2, 1e-12);
        m.Brier.ShouldBe((0.04 + 0.16) / 2, 1e-12);
    }

    [Fact]
    public void Threshold_maximises_f1_and_the_confusion_matrix_matches_it()
    {
        double[] p = [0.9, 0.8, 0.7, 0.6, 0.3, 0.2];
        bool[] y = [true, true, false, true, false, false];
        var m = Evaluator.Evaluate(p, y);
        // Top 4 (threshold 0.6): tp 3, fp 1 -> precision .75, recall 1, F1 .857 (best; top 2 gives .8).
        m.Threshold.ShouldBe(0.6);
        m.Precision.ShouldBe(0.75);
        m.Recall.ShouldBe(1.0);
        m.F1.ShouldBe(2 * 0.75 / 1.75, 1e-12);
        m.Confusion.ShouldBe(new ConfusionMatrix(3, 1, 2, 0));
    }

    [Fact]
    public void Lift_and_gain_at_top_fractions_count_conversions_in_the_best_scored_rows()
    {
        // 10 rows, 2 positives (base rate 0.2), the best-scored row converts.
        var p = Enumerable.Range(0, 10).Select(i => 1 - i / 10.0).ToArray();
        var y = new bool[10]; y[0] = true; y[5] = true;
        var m = Evaluator.Evaluate(p, y);
        var top10 = m.LiftAt(0.1);
        top10.Rows.ShouldBe(1);
        top10.Gain.ShouldBe(0.5);
        top10.Lift.ShouldBe(5.0);
        m.LiftAt(0.3).Gain.ShouldBe(0.5);
    }

    [Fact]
    public void Average_precision_of_a_perfect_ranking_is_one()
    {
        Evaluator.Evaluate([0.9, 0.8, 0.1], [true, true, false]).PrAuc.ShouldBe(1.0);
        // Ranking n, p: precision at the positive is 1/2, recall 1.
        Evaluator.Evaluate([0.9, 0.1], [false, true]).PrAuc.ShouldBe(0.5);
    }

    [Fact]
    public void Expected_calibration_error_is_zero_when_each_bin_matches_its_rate_and_large_when_not()
    {
        // Bin 0.2-0.3: p=0.25 for 4 rows, 1 positive -> observed 0.25.
        Evaluator.Evaluate([0.25, 0.25, 0.25, 0.25], [true, false, false, false]).Ece.ShouldBe(0, 1e-12);
        Evaluator.Evaluate([0.95, 0.95], [false, false]).Ece.ShouldBe(0.95, 1e-12);
    }

    [Fact]
    public void Segments_report_metrics_for_each_value_of_segment_features()
    {
        var frame = new FeatureFrame([new FeatureInfo("source", FeatureKind.Categorical, "") { IsSegment = true }, new FeatureInfo("visits", FeatureKind.Numeric, "")]);
        var p = new List<double>(); var y = new List<bool>();
        for (var i = 0; i < 80; i++)
        {
            var src = i < 50 ? "google" : "referral";
            frame.Add(i.ToString(), [FeatureValue.Of(src), FeatureValue.Of(i)], i % 4 == 0);
            p.Add(i % 4 == 0 ? 0.7 : 0.2); y.Add(i % 4 == 0);
        }
        var m = Evaluator.Evaluate(p, y, frame, minSegmentRows: 20);
        m.Segments.Select(s => (s.Feature, s.Value, s.Rows)).ShouldBe([("source", "google", 50), ("source", "referral", 30)]);
        m.Segments[0].Auc.ShouldBe(1.0);
        m.Segments[0].ConversionRate.ShouldBe(13 / 50.0);
    }
}
