using LeadScore.Engine.Lifecycle;
using LeadScore.Engine.Metrics;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Tests.Metrics;

public sealed class CalibrationNoiseTests
{
    [Fact]
    public void On_one_bin_the_noise_is_the_binomial_quantile_of_the_observed_rates_distance()
    {
        // 400 rows all at 0.2, one bin: ECE = |X/400 - 0.2| with X ~ Binomial(400, 0.2). Its exact 95th percentile is 0.04
        // (summing the binomial pmf by distance, Python's math.comb).
        var p = Enumerable.Repeat(0.2, 400).ToArray();
        CalibrationError.Noise(p, draws: 4000, seed: 1).ShouldBe(0.04, 0.0026);
        // Seeded: the same rows give the same figure; more rows, less noise.
        CalibrationError.Noise(p).ShouldBe(CalibrationError.Noise(p));
        CalibrationError.Noise(Enumerable.Repeat(0.2, 40_000).ToArray()).ShouldBeLessThan(0.006);
    }

    [Fact]
    public void The_gate_does_not_fail_a_calibrated_candidate_on_the_noise_of_a_small_hold_out_and_says_so()
    {
        var rng = new Random(3);
        var p = Enumerable.Range(0, 300).Select(_ => 0.05 + 0.5 * rng.NextDouble()).ToArray();
        var y = p.Select(x => rng.NextDouble() < x).ToArray();
        var m = Evaluator.Evaluate(p, y);
        var noise = CalibrationError.Noise(p);
        noise.ShouldBeGreaterThan(0.03, "300 rows over ten bins");
        var gate = PromotionGate.Parse(["ece <= 0.03"]);
        var r = gate.Evaluate(m with { Ece = noise - 0.001 }, null, null, null, noise);
        r.Passed.ShouldBeTrue(r.Describe());
        r.Rules[0].Threshold.ShouldBe(noise);
        r.Describe().ShouldContain("a calibrated model shows up to");
        r.Describe().ShouldContain("by chance on these 300 rows");
        gate.Evaluate(m with { Ece = noise + 0.001 }, null, null, null, noise).Passed.ShouldBeFalse();
        // Without the noise figure, the rule as written.
        gate.Evaluate(m with { Ece = 0.031 }, null).Passed.ShouldBeFalse();
    }
}
