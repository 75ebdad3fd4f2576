using LeadScore.Core;
using LeadScore.Engine.Lifecycle;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Tests.Lifecycle;

public sealed class PromotionGateTests
{
    private static EvaluationMetrics Metrics(double auc, double ece, params (string Value, double Auc)[] segments) => Sized(auc, ece, 20_000, 4_000, segments);

    /// <summary>Metrics whose segments each hold <paramref name="rows"/> held-out leads, <paramref name="positives"/> of them converted.</summary>
    private static EvaluationMetrics Sized(double auc, double ece, int rows, int positives, params (string Value, double Auc)[] segments)
    {
        var m = Evaluator.Evaluate([0.1, 0.9, 0.2, 0.8], [false, true, false, true]);
        return m with
        {
            Auc = auc,
            Ece = ece,
            Segments = [.. segments.Select(s => new SegmentMetrics("lead_source", s.Value, rows, positives, (double)positives / rows, 0.2, s.Auc, 0.15))],
        };
    }

    private static readonly PromotionGate Default = PromotionGate.Parse(PromotionGate.DefaultRules);

    [Fact]
    public void A_candidate_better_on_every_rule_passes()
    {
        // Segments of 200,000 leads: the 0.01 drop on "event" is beyond chance, and within the 0.02 limit.
        var r = Default.Evaluate(Sized(0.80, 0.02, 200_000, 40_000, ("web", 0.78), ("event", 0.75)), Sized(0.79, 0.01, 200_000, 40_000, ("web", 0.77), ("event", 0.76)));
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
        r.Rules.Single(x => !x.Passed).Rule.ShouldBe("ece <= max(0.03, champion + 0.02)");
        r.Describe().ShouldContain("ECE 0.0500 misses <= 0.0300 (max of 0.03 and the champion's 0.0100 + 0.02)");
    }

    [Fact]
    public void Ece_rule_holds_a_candidate_to_the_champions_calibration_where_that_is_worse_than_the_number()
    {
        // After a change in the process the champion is badly calibrated on recent leads: a better-calibrated candidate passes.
        var r = Default.Evaluate(Metrics(0.70, 0.06), Metrics(0.60, 0.09));
        r.Passed.ShouldBeTrue(r.Describe());
        r.Rules.Single(x => x.Rule.StartsWith("ece")).Threshold.ShouldBe(0.11, 1e-12);
        // More than 0.02 worse calibrated than that champion: fails.
        Default.Evaluate(Metrics(0.70, 0.115), Metrics(0.60, 0.09)).Rules.Single(x => x.Rule.StartsWith("ece")).Passed.ShouldBeFalse();
        // min(...) with a margin: the smaller of the number and champion - 0.01.
        var min = PromotionGate.Parse(["brier <= min( 0.2 , champion - 0.01 )"]);
        min.Rules[0].Text.ShouldBe("brier <= min(0.2, champion - 0.01)");
        min.Rules[0].ShouldBe(GateRule.Parse("brier <= min(champion - 0.01, 0.2)"));
        var m = Metrics(0.7, 0.01) with { Brier = 0.15 };
        min.Evaluate(m, m with { Brier = 0.17 }).Rules[0].Threshold.ShouldBe(0.16, 1e-12);
        min.Evaluate(m, m with { Brier = 0.155 }).Passed.ShouldBeFalse();
        min.Evaluate(m, m with { Brier = 0.3 }).Rules[0].Threshold.ShouldBe(0.2, 1e-12);
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
    public void A_segment_drop_within_the_noise_of_a_small_segment_does_not_fail_the_rule_and_the_detail_says_so()
    {
        // 60 leads, 3 converted: an AUC that moves by 0.3 between two models of the same quality.
        var r = Default.Evaluate(Sized(0.85, 0.01, 60, 3, ("web", 0.86), ("event", 0.45)), Sized(0.80, 0.01, 60, 3, ("web", 0.80), ("event", 0.75)));
        r.Passed.ShouldBeTrue(r.Describe());
        var rule = r.Rules.Single(x => x.Rule == "segment_auc_drop <= 0.02");
        rule.Candidate.ShouldBe(0);
        rule.Detail.ShouldContain("no segment dropped beyond chance; largest drop 0.3000 (lead_source=event: 0.4500 vs champion 0.7500 on 60 leads, within chance");

        // The same drop on 4,000 leads with 800 converted is evidence.
        var big = Default.Evaluate(Sized(0.85, 0.01, 4_000, 800, ("event", 0.45)), Sized(0.80, 0.01, 4_000, 800, ("event", 0.75)));
        big.Rules.Single(x => x.Rule == "segment_auc_drop <= 0.02").Passed.ShouldBeFalse();
    }

    [Fact]
    public void Over_many_segments_a_drop_counts_only_beyond_the_bonferroni_corrected_z()
    {
        // 40 segments of 400 leads, 80 converted: one drops by 2.5 standard errors of the difference, beyond 1.645 (one
        // segment's one-sided 5%) but within 3.02 (5% over all 40), the drop one of 40 equal models shows by chance.
        var se = Math.Sqrt(2 * PromotionGate.AucVariance(0.75, 80, 320));
        var champion = Enumerable.Range(0, 40).Select(i => ($"s{i}", 0.75)).ToArray();
        var chance = champion.Select((x, i) => i == 7 ? (x.Item1, 0.75 - 2.5 * se) : x).ToArray();
        PromotionGate.SegmentDropZ(1).ShouldBe(1.6448536269514722, 1e-12);
        PromotionGate.SegmentDropZ(40).ShouldBe(3.0233414397, 1e-9); // scipy.stats.norm.ppf(1 - 0.05 / 40)
        var r = Default.Evaluate(Sized(0.85, 0.01, 400, 80, chance), Sized(0.80, 0.01, 400, 80, champion));
        var rule = r.Rules.Single(x => x.Rule == "segment_auc_drop <= 0.02");
        rule.Passed.ShouldBeTrue(rule.Detail);
        rule.Detail.ShouldContain("40 segments compared, a drop counts beyond 3.02 standard errors");

        // The same drop on a workspace with one segment is beyond chance; and 3.5 standard errors over 40 segments still count.
        Default.Evaluate(Sized(0.85, 0.01, 400, 80, chance[7]), Sized(0.80, 0.01, 400, 80, champion[7])).Rules.Single(x => x.Rule == "segment_auc_drop <= 0.02").Passed.ShouldBeFalse();
        var real = champion.Select((x, i) => i == 7 ? (x.Item1, 0.75 - 3.5 * se) : x).ToArray();
        Default.Evaluate(Sized(0.85, 0.01, 400, 80, real), Sized(0.80, 0.01, 400, 80, champion)).Rules.Single(x => x.Rule == "segment_auc_drop <= 0.02").Passed.ShouldBeFalse();
    }

    [Theory]
    [InlineData(20, 80)]
    [InlineData(1, 1)]
    [InlineData(500, 4500)]
    public void Auc_variance_at_one_half_is_the_mann_whitney_null_variance(int positives, int negatives)
    {
        // At AUC 0.5 Hanley and McNeil's variance is exactly that of the Mann-Whitney U statistic under the null,
        // (n1 + n2 + 1) / (12 n1 n2): an independent closed form.
        PromotionGate.AucVariance(0.5, positives, negatives).ShouldBe((positives + negatives + 1) / (12.0 * positives * negatives), 1e-15);
        PromotionGate.AucVariance(0.8, 0, 10).ShouldBe(double.PositiveInfinity);
        // Larger AUCs with the same counts vary less (the statistic is bounded by 1).
        PromotionGate.AucVariance(0.95, positives, negatives).ShouldBeLessThan(PromotionGate.AucVariance(0.5, positives, negatives));
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
    [InlineData("ece <= max(0.03)", "expected 'max(NUMBER, champion [+|- NUMBER])'")]
    [InlineData("ece <= max(0.03, champion * 2)", "expected 'max(NUMBER, champion [+|- NUMBER])'")]
    [InlineData("ece <= max(lots, champion)", "expected 'max(NUMBER, champion [+|- NUMBER])'")]
    [InlineData("segment_auc_drop <= max(0.02, champion)", "already measured against the champion")]
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
