using System.Text.Json.Nodes;
using LeadScore.Core;
using LeadScore.Engine.Metrics;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Tests.Modeling;

/// <summary>The ROC curve the model card keeps for the dashboard's plot.</summary>
public sealed class RocCurveTests
{
    private static double Area(IReadOnlyList<RocPoint> roc) =>
        roc.Zip(roc.Skip(1), (a, b) => (b.Fpr - a.Fpr) * (a.Tpr + b.Tpr) / 2).Sum();

    [Fact]
    public void A_small_curve_is_kept_whole_from_0_0_to_1_1_and_its_area_is_the_auc()
    {
        // Ties (0.7 twice, one of each class) make a diagonal step, as the AUC counts them half.
        double[] p = [0.9, 0.8, 0.7, 0.7, 0.6, 0.3, 0.2];
        bool[] y = [true, false, true, false, true, false, false];
        var m = Evaluator.Evaluate(p, y);
        m.Roc.Select(q => (Math.Round(q.Fpr, 4), Math.Round(q.Tpr, 4))).ShouldBe([(0, 0), (0, 0.3333), (0.25, 0.3333), (0.5, 0.6667), (0.5, 1), (0.75, 1), (1, 1)]);
        Area(m.Roc).ShouldBe(Ranking.Auc(p, y), 1e-5);
    }

    [Fact]
    public void A_large_curve_is_thinned_to_at_most_101_monotone_points_with_both_ends_and_the_same_area()
    {
        var r = new Random(11);
        var y = Enumerable.Range(0, 5000).Select(_ => r.NextDouble() < 0.3).ToArray();
        var p = y.Select(l => Math.Clamp((l ? 0.6 : 0.4) + (r.NextDouble() - 0.5) * 0.8, 0, 1)).ToArray();
        var roc = Evaluator.Evaluate(p, y).Roc;
        roc.Count.ShouldBe(Evaluator.RocPoints);
        roc[0].ShouldBe(new RocPoint(0, 0));
        roc[^1].ShouldBe(new RocPoint(1, 1));
        roc.Zip(roc.Skip(1)).ShouldAllBe(s => s.Second.Fpr >= s.First.Fpr && s.Second.Tpr >= s.First.Tpr);
        Area(roc).ShouldBe(Ranking.Auc(p, y), 0.005);
    }

    [Fact]
    public void One_class_has_no_curve_and_a_card_written_before_the_curve_still_loads()
    {
        Evaluator.Evaluate([0.2, 0.4], [false, false]).Roc.ShouldBeEmpty();
        var card = new ModelingContext().Train(Frame(), new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 0 }).Model.Card;
        card.Metrics.Roc.Count.ShouldBeGreaterThan(2);
        card.ToJson().ShouldContain("\"roc\": [");
        var node = JsonNode.Parse(card.ToJson())!.AsObject();
        node["metrics"]!.AsObject().Remove("roc");
        ModelCard.FromJson(node.ToJsonString()).Metrics.Roc.ShouldBeEmpty();
    }

    private static FeatureFrame Frame()
    {
        var r = new Random(5);
        var f = new FeatureFrame([new FeatureInfo("visits", FeatureKind.Numeric, "web visits")]);
        for (var i = 0; i < 400; i++)
        {
            var v = r.Next(0, 20);
            f.Add($"L{i}", [FeatureValue.Of(v)], r.NextDouble() < 1 / (1 + Math.Exp(-0.3 * (v - 10))));
        }
        return f;
    }
}
