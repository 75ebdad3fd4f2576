using LeadScore.Application.Monitoring;
using LeadScore.Engine.Monitoring;

namespace LeadScore.Application.Tests.Monitoring;

/// <summary>
/// The concept-drift rule on its own, on small fixed cohorts: AUC below the held-out figure or below the CBPE estimate by
/// the margin and significantly (Hanley-McNeil), or calibration off (binomial z); and nothing when neither holds.
/// </summary>
public sealed class ConceptDriftRuleTests
{
    private const double Golden = 0.6180339887498949;

    /// <summary>n probabilities evenly from 0.05 to 0.95; labels from a low-discrepancy sequence: row i converts when frac(i·φ) &lt; rate(p).</summary>
    private static (double P, bool Y, string Grade)[] Cohort(int n, Func<double, double> rate) =>
        Enumerable.Range(0, n).Select(i =>
        {
            var p = 0.05 + 0.9 * i / (n - 1);
            var u = i * Golden % 1.0;
            return (p, u < rate(p), p >= 0.5 ? "A" : "C");
        }).ToArray();

    private static ConceptDriftCheck Check(double heldOut, (double P, bool Y, string Grade)[] cohort, double? estimate = null)
    {
        var realized = Performance.Realized(cohort.Select(c => c.P).ToArray(), cohort.Select(c => c.Y).ToArray(), cohort.Select(c => (string?)c.Grade).ToArray());
        return MonitoringService.Concept(heldOut, realized, estimate ?? Performance.EstimatedAuc(cohort.Select(c => c.P).ToArray()), cohort);
    }

    [Fact]
    public void The_standard_error_and_calibration_z_of_a_four_row_cohort_are_the_hand_computed_values()
    {
        (double, bool, string)[] cohort = [(0.9, true, "A"), (0.8, false, "A"), (0.3, true, "C"), (0.2, false, "C")];

        var k = Check(0.8, cohort, estimate: 0.75);

        k.RealizedAuc.ShouldBe(0.75, 1e-12);
        // Hanley & McNeil (1982), by hand: q1 = A/(2-A), q2 = 2A²/(1+A).
        k.AucStandardError.ShouldBe(0.27629564910487775, 1e-12);
        k.ZVersusHeldOut.ShouldBe(0.18096557134354577, 1e-9);
        k.ExpectedPositives.ShouldBe(2.2, 1e-12);
        k.Positives.ShouldBe(2);
        k.CalibrationZ.ShouldBe(-0.254000254000381, 1e-9);
        k.Dropped.ShouldBeFalse("0.05 below the held-out AUC, but four rows prove nothing");
    }

    [Fact]
    public void A_calibrated_cohort_that_ranks_as_promised_does_not_drop()
    {
        var cohort = Cohort(400, p => p);
        var auc = Check(double.NaN, cohort).RealizedAuc;

        var k = Check(auc, cohort);

        k.Dropped.ShouldBeFalse(k.Explanation);
        Math.Abs(k.CalibrationZ).ShouldBeLessThan(1);
        k.Explanation.ShouldContain("in line with");
    }

    [Fact]
    public void A_cohort_whose_ranking_collapsed_drops_against_the_held_out_auc()
    {
        // The same probabilities, but conversions no longer follow them (they follow 1 - p): the ranking is inverted.
        var k = Check(0.8, Cohort(400, p => 1 - p));

        k.RealizedAuc.ShouldBeLessThan(0.3);
        k.ZVersusHeldOut.ShouldBeGreaterThan(MonitoringService.AucZ);
        k.Dropped.ShouldBeTrue();
        k.Explanation.ShouldContain("below the held-out 0.800");
        Math.Abs(k.CalibrationZ).ShouldBeLessThan(MonitoringService.CalibrationZ, "as many conversions as expected: the calibration test alone would pass");
    }

    [Fact]
    public void More_conversions_than_the_probabilities_expect_drop_on_calibration_while_the_ranking_holds()
    {
        var cohort = Cohort(400, p => Math.Min(1, p + 0.25));
        var auc = Check(double.NaN, cohort).RealizedAuc;

        var k = Check(auc, cohort);

        k.Positives.ShouldBeGreaterThan((int)k.ExpectedPositives + 60);
        k.CalibrationZ.ShouldBeGreaterThan(MonitoringService.CalibrationZ);
        k.Dropped.ShouldBeTrue();
        k.Explanation.ShouldContain("converted where the scores expected");
    }

    [Fact]
    public void A_significant_gap_smaller_than_the_margin_does_not_drop_and_one_past_it_does()
    {
        // 20,000 rows make even a small gap significant: the margin (0.03) is what keeps a trivial gap quiet.
        var cohort = Cohort(20_000, p => p);
        var auc = Check(double.NaN, cohort).RealizedAuc;

        var small = Check(auc + 0.02, cohort, estimate: auc);
        var large = Check(auc + 0.035, cohort, estimate: auc);

        small.ZVersusHeldOut.ShouldBeGreaterThan(MonitoringService.AucZ);
        small.Dropped.ShouldBeFalse();
        large.Dropped.ShouldBeTrue();
    }

    [Fact]
    public void Without_a_held_out_figure_the_cohort_is_judged_against_its_own_estimate()
    {
        var cohort = Cohort(2000, p => p);
        var auc = Check(double.NaN, cohort).RealizedAuc;

        var k = Check(double.NaN, cohort, estimate: auc + 0.05);

        k.ZVersusHeldOut.ShouldBe(0);
        k.ZVersusEstimate.ShouldBeGreaterThan(MonitoringService.AucZ);
        k.Dropped.ShouldBeTrue();
        k.Explanation.ShouldContain("below the estimate");
    }
}
