using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Fairness;

public sealed class FairnessAnalyzerTests
{
    private static readonly GradeBands Bands = new(0.5, 0.25, 0.10);

    // The fixed table (bands A >= .50, B >= .25, C >= .10):
    //   group  prob  grade  converted
    //   X      .85   A      yes
    //   X      .45   B      yes
    //   X      .40   B      no
    //   X      .20   C      yes
    //   X      .05   D      no
    //   X      .08   D      no
    //   Y      .30   B      yes
    //   Y      .20   C      yes
    //   Y      .15   C      no
    //   Y      .08   D      yes
    //   Y      .02   D      no
    //   Y      .05   D      no
    //   Z      .90   A      yes
    //   Z      .70   A      (not matured)
    private static readonly double[] P = [.85, .45, .40, .20, .05, .08, .30, .20, .15, .08, .02, .05, .90, .70];
    private static readonly bool?[] Y = [true, true, false, true, false, false, true, true, false, true, false, false, true, null];
    private static readonly string[] G = ["X", "X", "X", "X", "X", "X", "Y", "Y", "Y", "Y", "Y", "Y", "Z", "Z"];

    private static FairnessReport Report() => FairnessAnalyzer.Analyze(P, Bands, Y, [new GroupColumn("country", FairnessRole.Sensitive, G)], new FairnessOptions { MinGroupSize = 3 });

    [Fact]
    public void Shares_ratios_and_sizes_equal_the_hand_computed_values()
    {
        var r = Report();
        r.Rows.ShouldBe(14);
        r.MaturedRows.ShouldBe(13);
        r.AbShare.ShouldBe(6.0 / 14, 1e-12); // X 3 + Y 1 + Z 2
        var a = r.Attributes.Single();
        var x = a.Groups.Single(g => g.Group == "X");
        var y = a.Groups.Single(g => g.Group == "Y");
        var z = a.Groups.Single(g => g.Group == "Z");
        a.BestGroup.ShouldBe("X");
        x.AbShare.ShouldBe(0.5);
        x.AbRatio.ShouldBe(1.0);
        y.AbShare!.Value.ShouldBe(1.0 / 6, 1e-12);
        y.AbRatio!.Value.ShouldBe(1.0 / 3, 1e-12);
        a.LowestRatio!.Value.ShouldBe(1.0 / 3, 1e-12);
        y.BelowRatio.ShouldBeTrue();
        // Y: 1 of 6 against the rest's 5 of 8; scipy (two-proportion z-test, pooled): 0.0863587396470123. Over the
        // Bonferroni level 0.05 / 2 shown groups, so below the 80% rule but within chance: not flagged.
        y.AbPValue!.Value.ShouldBe(0.0863587396470123, 1e-6);
        x.AbPValue!.Value.ShouldBe(0.6399940105774466, 1e-6);
        y.Flagged.ShouldBeFalse();
        r.Flags.ShouldBeEmpty();
        // Z has 2 rows, under the minimum of 3: counted, but no figure shown.
        z.TooFew.ShouldBeTrue();
        z.Rows.ShouldBe(2);
        z.AbShare.ShouldBeNull();
        z.AbRatio.ShouldBeNull();
        z.Tpr.ShouldBeNull();
        z.Ece.ShouldBeNull();
        a.GroupsTooFew.ShouldBe(1);
    }

    [Fact]
    public void True_and_false_positive_rates_and_their_gaps_equal_the_hand_computed_values()
    {
        var a = Report().Attributes.Single();
        var x = a.Groups.Single(g => g.Group == "X");
        var y = a.Groups.Single(g => g.Group == "Y");
        // X: converted rows graded A/B 2 of 3, non-converted graded A/B 1 of 3. Y: 1 of 3 and 0 of 3.
        x.Tpr!.Value.ShouldBe(2.0 / 3, 1e-12);
        x.Fpr!.Value.ShouldBe(1.0 / 3, 1e-12);
        y.Tpr!.Value.ShouldBe(1.0 / 3, 1e-12);
        y.Fpr!.Value.ShouldBe(0.0);
        x.TprGap.ShouldBe(0.0);
        y.TprGap!.Value.ShouldBe(1.0 / 3, 1e-12);
        x.FprGap.ShouldBe(0.0);
        y.FprGap!.Value.ShouldBe(1.0 / 3, 1e-12);
        a.EqualizedOddsDifference!.Value.ShouldBe(1.0 / 3, 1e-12);
        (x.TruePositives, x.FalsePositives, x.Positives, x.Matured).ShouldBe((2, 1, 3, 6));
        // Against the other groups' rows (Z's matured converted row counts, graded A): scipy 0.2702893848016986 and 0.27332167829229814.
        y.TprPValue!.Value.ShouldBe(0.2702893848016986, 1e-6);
        y.FprPValue!.Value.ShouldBe(0.27332167829229814, 1e-6);
    }

    [Fact]
    public void Calibration_per_group_equals_the_hand_computed_values()
    {
        var a = Report().Attributes.Single();
        var x = a.Groups.Single(g => g.Group == "X");
        var y = a.Groups.Single(g => g.Group == "Y");
        x.MeanPredicted!.Value.ShouldBe(2.03 / 6, 1e-12);
        x.ObservedRate.ShouldBe(0.5);
        // Bins of 0.1: .85 (1 row, observed 1) .15; .45/.40 (mean .425, observed .5) 2 x .075; .20 (observed 1) .8;
        // .05/.08 (mean .065, observed 0) 2 x .065: total 1.23 over 6 rows.
        x.Ece!.Value.ShouldBe(1.23 / 6, 1e-12);
        y.MeanPredicted!.Value.ShouldBe(0.8 / 6, 1e-12);
        // .30 -> .7; .20 -> .8; .15 -> .15; .08/.02/.05 (mean .05, observed 1/3) 3 x .28333: total 2.5 over 6 rows.
        y.Ece!.Value.ShouldBe(2.5 / 6, 1e-12);
    }

    [Fact]
    public void A_group_below_the_80_percent_rule_beyond_chance_is_flagged_in_one_sentence()
    {
        // Given 100 rows of A with 50 graded A/B and 100 rows of B with 10: ratio 0.2, p = 6.7e-10 (scipy).
        var grades = Enumerable.Range(0, 200).Select(i => i < 100 ? (i < 50 ? "A" : "C") : (i < 110 ? "B" : "D")).ToArray();
        var groups = Enumerable.Range(0, 200).Select(i => i < 100 ? "north" : "south").ToArray();
        var r = FairnessAnalyzer.Analyze(grades, null, [], [new GroupColumn("region", FairnessRole.Sensitive, groups)]);
        var south = r.Attributes.Single().Groups.Single(g => g.Group == "south");
        south.AbRatio!.Value.ShouldBe(0.2, 1e-12);
        south.AbPValue!.Value.ShouldBe(6.737436018932676e-10, 1e-11);
        south.Flagged.ShouldBeTrue();
        r.Flags.ShouldHaveSingleItem().ShouldBe("region = south: 10% graded A or B, 0.20 of the best group's 50% (north): below the 80% rule (100 rows, p < 0.0001).");
        // No outcomes were given: no rate and no calibration figure.
        south.Tpr.ShouldBeNull();
        south.Ece.ShouldBeNull();
    }

    [Fact]
    public void A_watched_attribute_is_shown_but_never_flagged_by_the_80_percent_rule()
    {
        var grades = Enumerable.Range(0, 200).Select(i => i < 50 ? "A" : i >= 100 && i < 110 ? "B" : "D").ToArray();
        var groups = Enumerable.Range(0, 200).Select(i => i < 100 ? "large" : "small").ToArray();
        var r = FairnessAnalyzer.Analyze(grades, null, [], [new GroupColumn("company_size", FairnessRole.Watch, groups)]);
        r.Attributes.Single().Groups.Single(g => g.Group == "small").Flagged.ShouldBeTrue();
        r.Flags.ShouldBeEmpty();
    }

    [Fact]
    public void A_feature_associated_with_a_sensitive_attribute_is_named_and_the_attribute_itself_is_direct_use()
    {
        // free_mail is 1 for every US row and for a fifth of the DE rows; "noise" has nothing to do with it.
        var n = 200;
        var country = Enumerable.Range(0, n).Select(i => i % 2 == 0 ? "US" : "DE").ToArray();
        var frame = new FeatureFrame([
            new FeatureInfo("country", FeatureKind.Categorical, ""), new FeatureInfo("free_mail", FeatureKind.Numeric, ""), new FeatureInfo("noise", FeatureKind.Categorical, ""),
        ]);
        for (var i = 0; i < n; i++)
            frame.Add("L" + i, [FeatureValue.Of(country[i]), FeatureValue.Of(i % 2 == 0 ^ i % 10 == 3 ? 1 : 0), FeatureValue.Of("n" + (i / 2 % 5))]);
        var r = FairnessAnalyzer.Analyze(Enumerable.Repeat("C", n).ToArray(), null, [], [new GroupColumn("country", FairnessRole.Sensitive, country)], features: frame);
        r.DirectUse.ShouldBe(["country"]);
        var alert = r.Proxies.Where(p => p.Alert).ShouldHaveSingleItem();
        alert.Feature.ShouldBe("free_mail");
        alert.Measure.ShouldBe(ProxyAssociation.CorrelationRatio);
        // US rows all 1, DE rows 20 of 100 at 1: uncorrected eta is |Pearson r| = sqrt(2/3); epsilon-squared corrected, numpy: 0.8154649992385725.
        alert.Value.ShouldBe(0.8154649992385725, 1e-12);
        r.Proxies.Single(p => p.Feature == "noise").Alert.ShouldBeFalse();
        r.Flags.ShouldHaveSingleItem().ShouldBe("free_mail may stand in for country: correlation ratio 0.82 is above 0.5.");
    }
}
