using LeadScore.Engine.Fairness;
using LeadScore.Engine.Lifecycle;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Tests.Lifecycle;

/// <summary>
/// The gate's <c>fairness_regression</c> rule on fixed hold-outs whose figures are computed by hand: 100 rows in two groups of
/// 50 (X and Y), 20 converted in each; the candidate and the champion grade the same rows differently.
/// </summary>
public sealed class FairnessRegressionRuleTests
{
    private static readonly EvaluationMetrics Metrics = Evaluator.Evaluate([0.1, 0.9, 0.2, 0.8], [false, true, false, true]);
    private static readonly FairnessOptions Options = FairnessOptions.Default with { MinGroupSize = 10 };

    /// <summary>Group X then Y, 50 rows each: rows 0-19 of a group converted. <paramref name="ab"/> says how many of each kind are graded A/B.</summary>
    private static FairnessReport Report((int Converted, int Lost) x, (int Converted, int Lost) y)
    {
        var grades = new List<string>();
        var outcomes = new List<bool?>();
        var groups = new List<string>();
        foreach (var (name, (converted, lost)) in new[] { ("X", x), ("Y", y) })
        {
            for (var i = 0; i < 50; i++)
            {
                var won = i < 20;
                var positive = won ? i < converted : i - 20 < lost;
                grades.Add(positive ? "B" : "C");
                outcomes.Add(won);
                groups.Add(name);
            }
        }
        return FairnessAnalyzer.Analyze(grades, null, outcomes, [new GroupColumn("country", FairnessRole.Sensitive, groups)], Options);
    }

    [Fact]
    public void The_rule_prints_as_written_and_a_bare_rule_reads_as_the_default_margin()
    {
        GateRule.Parse("fairness_regression <= 0.02").ToString().ShouldBe("fairness_regression <= 0.02");
        var bare = GateRule.Parse("fairness_regression");
        bare.ToString().ShouldBe("fairness_regression <= 0.05");
        bare.Metric.ShouldBe(GateMetric.FairnessRegression);
        bare.Value.ShouldBe(GateRule.DefaultFairnessMargin);
        PromotionGate.Parse(["auc >= champion", "fairness_regression"]).NeedsFairness.ShouldBeTrue();
        PromotionGate.Parse(PromotionGate.DefaultRules).NeedsFairness.ShouldBeFalse();
    }

    [Fact]
    public void A_candidate_that_treats_groups_as_the_champion_did_passes()
    {
        // Champion: X 16/20 converted and 6/30 lost graded A/B (share 22/50 = 0.44), Y 14/20 and 6/30 (0.40): ratio 0.40/0.44 = 0.909,
        // TPR gap of Y 0.80 - 0.70 = 0.10. Candidate: X 16 and 6 (0.44), Y 15 and 6 (0.42): ratio 0.955, TPR gap 0.05 (narrower).
        var champion = Report((16, 6), (14, 6));
        var candidate = Report((16, 6), (15, 6));
        var y = champion.Attributes[0].Groups.Single(g => g.Group == "Y");
        y.AbRatio!.Value.ShouldBe(0.40 / 0.44, 1e-12);
        y.TprGap!.Value.ShouldBe(0.10, 1e-12);

        var r = PromotionGate.Parse(["fairness_regression <= 0.05"]).Evaluate(Metrics, Metrics, candidate, champion);

        r.Passed.ShouldBeTrue(r.Describe());
        r.Rules[0].Candidate.ShouldBe(0, 1e-12, "no gap widened");
        r.Rules[0].Threshold.ShouldBe(0.05);
        r.Rules[0].Detail.ShouldContain("no group fell below the 0.8 ratio");
    }

    [Fact]
    public void A_candidate_that_widens_a_true_positive_gap_by_more_than_the_margin_fails()
    {
        // Candidate: Y 10/20 converted graded A/B (TPR 0.50), 10/30 lost (share 20/50 = 0.40, ratio still 0.909): TPR gap 0.30 vs the champion's 0.10.
        var champion = Report((16, 6), (14, 6));
        var candidate = Report((16, 6), (10, 10));

        var r = PromotionGate.Parse(["fairness_regression <= 0.05"]).Evaluate(Metrics, Metrics, candidate, champion);

        r.Passed.ShouldBeFalse();
        r.Rules[0].Candidate.ShouldBe(0.30 - 0.10, 1e-12);
        r.Rules[0].Detail.ShouldContain("country = Y: TPR gap 0.300 vs champion 0.100");
        r.Describe().ShouldStartWith("failed: fairness_regression <= 0.05");
        // A margin that allows it passes.
        PromotionGate.Parse(["fairness_regression <= 0.25"]).Evaluate(Metrics, Metrics, candidate, champion).Passed.ShouldBeTrue();
    }

    [Fact]
    public void A_candidate_that_puts_a_group_below_the_ratio_where_the_champion_kept_it_above_fails_whatever_the_margin()
    {
        // Candidate: Y 9/20 converted and 3/30 lost (share 12/50 = 0.24): ratio 0.24/0.44 = 0.545 < 0.8, where the champion's was 0.909.
        var champion = Report((16, 6), (14, 6));
        var candidate = Report((16, 6), (9, 3));

        var r = PromotionGate.Parse(["fairness_regression <= 1"]).Evaluate(Metrics, Metrics, candidate, champion);

        r.Passed.ShouldBeFalse();
        r.Rules[0].Detail.ShouldContain("country = Y: A/B ratio 0.55 is below 0.8 where the champion's was 0.91");
    }

    [Fact]
    public void A_group_the_champion_already_had_below_the_ratio_is_not_a_regression_of_the_candidate()
    {
        // Both below 0.8 for Y (champion 0.24/0.44, candidate 0.26/0.44 with TPR gap 0.35 -> 0.30): nothing new, nothing widened.
        var champion = Report((16, 6), (9, 3));
        var candidate = Report((16, 6), (10, 3));

        var r = PromotionGate.Parse(["fairness_regression"]).Evaluate(Metrics, Metrics, candidate, champion);

        r.Passed.ShouldBeTrue(r.Describe());
    }

    [Fact]
    public void Without_a_champion_the_rule_passes_and_without_figures_it_fails_saying_why()
    {
        var gate = PromotionGate.Parse(["fairness_regression"]);
        var candidate = Report((16, 6), (14, 6));
        gate.Evaluate(Metrics, null, candidate, null).Passed.ShouldBeTrue();
        var missing = gate.Evaluate(Metrics, Metrics);
        missing.Passed.ShouldBeFalse();
        missing.Describe().ShouldContain("fairness figures of both models on the hold-out are missing");
    }
}
