using LeadScore.Core;
using LeadScore.Engine.Lifecycle;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Tests.Lifecycle;

public sealed class PromotionGateTests
{
    private static EvaluationMetrics Metrics(double auc, double ece, params (string Value, double Auc)[] segments)
    {
        var m = Evaluator.Evaluate([0.1, 0.9, 0.2, 0.8], [false, true, false, true]);
        return m with
        {
            Auc = auc,
            Ece = ece,
            Segments = [.. segments.Select(s => new SegmentMetrics("lead_source", s.Value, 100, 20, 0.2, 0.2, s.Auc, 0.15))],
        };
    }

    private static readonly PromotionGate Default = PromotionGate.Parse(PromotionGate.DefaultRules);

    [Fact]
    public void A_candidate_better_on_every_rule_passes()
    {
        var r = Default.Evaluate(Metrics(0.80, 0.02, ("web", 0.78), ("event", 0.75)), Metrics(0.79, 0.01, ("web", 0.77), ("event", 0.76)));
        r.Passed.ShouldBeTrue(r.Describe());
        r.Rules.Count.ShouldBe(3);
        r.Rules[0].Threshold.ShouldBe(0.795, 1e-12);
        r.Rules[2].Candidate.ShouldBe(0.01, 1e-12);
    }

    [Fact]
    public void Auc_rule_fails_when_the_margin_over_the_champion_is_not_met()
    {
        var r = Default.Evaluate(Metrics(0.793, 0.02), Metrics(0.79, 0.02));
        r.Passed.ShouldBeFalse();
        r.Rules.Single(x => !x.Passed).Rule.ShouldBe("auc >= champion + 0.005");
        r.Describe().ShouldContain("AUC 0.7930 misses >= 0.7950");
    }

    [Fact]
    public void Ece_rule_fails_on_a_badly_calibrated_candidate()
    {
        var r = Default.Evaluate(Metrics(0.85, 0.05), Metrics(0.79, 0.01));
        r.Passed.ShouldBeFalse();
        r.Rules.Single(x => !x.Passed).Rule.ShouldBe("ece <= 0.03");
    }

    [Fact]
    public void Segment_rule_fails_when_one_segment_drops_by_more_than_the_limit()
    {
        var r = Default.Evaluate(Metrics(0.85, 0.01, ("web", 0.86), ("event", 0.70)), Metrics(0.80, 0.01, ("web", 0.80), ("event", 0.73)));
        r.Passed.ShouldBeFalse();
        var failed = r.Rules.Single(x => !x.Passed);
        failed.Rule.ShouldBe("segment_auc_drop <= 0.02");
        failed.Candidate.ShouldBe(0.03, 1e-12);
        failed.Detail.ShouldContain("lead_source=event");
    }

    [Fact]
    public void Without_a_champion_relative_rules_pass_and_absolute_ones_still_apply()
    {
        var r = Default.Evaluate(Metrics(0.6, 0.04), null);
        r.Rules.Single(x => x.Rule.StartsWith("auc")).Passed.ShouldBeTrue();
        r.Rules.Single(x => x.Rule.StartsWith("ece")).Passed.ShouldBeFalse();
    }

    [Theory]
    [InlineData("auc", "expected 'METRIC OP VALUE'")]
    [InlineData("accuracy >= 0.8", "unknown metric 'accuracy'")]
    [InlineData("auc => 0.8", "unknown operator '=>'")]
    [InlineData("auc >= champion * 2", "after 'champion'")]
    [InlineData("ece <= lots", "'lots' is not a number")]
    [InlineData("segment_auc_drop <= champion", "already measured against the champion")]
    [InlineData("fairness_regression = none", "unknown operator '='")]
    [InlineData("fairness_regression >= 0.05", "use '<=' or '<'")]
    [InlineData("fairness_regression <= champion", "already measured against the champion")]
    [InlineData("fairness_regression <= 2", "between 0 and 1")]
    public void Bad_rules_are_refused_with_the_part_that_is_wrong(string rule, string message)
    {
        Should.Throw<LeadScoreException>(() => GateRule.Parse(rule)).Message.ShouldContain(message);
    }

    [Fact]
    public void Relative_rules_accept_a_negative_margin()
    {
        var g = PromotionGate.Parse(["auc >= champion - 0.01", "brier < 0.3"]);
        g.Evaluate(Metrics(0.785, 0.01), Metrics(0.79, 0.01)).Passed.ShouldBeTrue();
        g.Evaluate(Metrics(0.775, 0.01), Metrics(0.79, 0.01)).Passed.ShouldBeFalse();
    }
}
