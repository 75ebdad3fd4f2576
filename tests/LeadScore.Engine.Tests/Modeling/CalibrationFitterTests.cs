using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Modeling;

public sealed class CalibrationFitterTests
{
    private static (double[] Margins, bool[] Labels) Simulated(int n, double a, double b, int seed)
    {
        var rng = new Random(seed);
        var m = new double[n]; var y = new bool[n];
        for (var i = 0; i < n; i++)
        {
            m[i] = rng.NextDouble() * 8 - 4;
            y[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-(a * m[i] + b)));
        }
        return (m, y);
    }

    [Fact]
    public void Platt_recovers_the_slope_and_offset_of_a_logistic_relation()
    {
        var (m, y) = Simulated(20000, 0.5, -1.0, 1);
        var c = CalibrationFitter.FitPlatt(m, y);
        c.Kind.ShouldBe(CalibratorKind.Platt);
        c.A.ShouldBe(0.5, 0.05);
        c.B.ShouldBe(-1.0, 0.08);
    }

    [Fact]
    public void Isotonic_is_monotone_and_clamped_away_from_zero_and_one()
    {
        var (m, y) = Simulated(5000, 2, 0, 2);
        var c = CalibrationFitter.FitIsotonic(m, y);
        c.Values.Zip(c.Values.Skip(1)).ShouldAllBe(v => v.First < v.Second);
        c.Thresholds.Zip(c.Thresholds.Skip(1)).ShouldAllBe(v => v.First < v.Second);
        // The extremes are pure (all 0 / all 1) blocks: clamped.
        c.Apply(-100).ShouldBe(ProbabilityCalibrator.MinProbability);
        c.Apply(100).ShouldBe(1 - ProbabilityCalibrator.MinProbability);
    }

    [Fact]
    public void Small_calibration_sets_get_platt_scaling()
    {
        var (m, y) = Simulated(500, 1, 0, 3);
        var (c, why) = CalibrationFitter.FitBest(m, y, 1);
        c.Kind.ShouldBe(CalibratorKind.Platt);
        why.ShouldContain("too few for isotonic");
    }

    [Fact]
    public void Default_grades_follow_the_score_distribution()
    {
        var p = Enumerable.Range(1, 100).Select(i => i / 100.0).ToArray();
        var g = CalibrationFitter.ChooseGrades(p);
        // Top 10% are A, next 20% B, next 30% C.
        p.Count(x => g.GradeOf(x) == "A").ShouldBe(10);
        p.Count(x => g.GradeOf(x) == "B").ShouldBe(20);
        p.Count(x => g.GradeOf(x) == "C").ShouldBe(30);
    }
}
