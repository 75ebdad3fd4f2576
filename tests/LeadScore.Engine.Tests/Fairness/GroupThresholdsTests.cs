using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Fairness;

public sealed class GroupThresholdsTests
{
    private static readonly GradeBands Bands = new(0.5, 0.25, 0.10);

    [Fact]
    public void Each_groups_ab_cut_is_set_so_its_ab_share_matches_the_overall_one()
    {
        // Given north scores 0.30..0.69 (40 rows, all A/B) and south 0.05..0.44 (40 rows, 20 at or above 0.25): overall A/B share 60/80 = 0.75.
        var p = Enumerable.Range(0, 40).Select(i => 0.30 + i / 100.0).Concat(Enumerable.Range(0, 40).Select(i => 0.05 + i / 100.0)).ToArray();
        var g = Enumerable.Repeat("north", 40).Concat(Enumerable.Repeat("south", 40)).ToArray();
        var grades = GroupThresholds.Fit("region", p, g, Bands, minGroupSize: 30);
        // south: 30 of its 40 rows (0.15 and up) make 0.75; north: 30 of 40 (0.40 and up).
        GradeBands.ScoreOf(grades.Groups["south"].B).ShouldBe(15);
        GradeBands.ScoreOf(grades.Groups["north"].B).ShouldBe(40);
        // A share overall: north 20 (0.50 and up) + south 0 = 20/80 = 0.25 -> 10 of 40 each: north 0.60, south 0.35.
        GradeBands.ScoreOf(grades.Groups["north"].A).ShouldBe(60);
        GradeBands.ScoreOf(grades.Groups["south"].A).ShouldBe(35);
        // C never above the group's B cut.
        GradeBands.ScoreOf(grades.Groups["south"].C).ShouldBe(10);

        var effect = GroupThresholds.Effect(grades, applied: false, p, g, [], Bands, 30);
        effect.LowestRatioBefore!.Value.ShouldBe(0.5, 1e-12); // south 20/40 vs north 40/40
        effect.LowestRatioAfter!.Value.ShouldBe(1.0, 1e-12);
        effect.ModelAbCut.ShouldBe(25);
        effect.GradeAucBefore.ShouldBeNull(); // no outcomes given
    }

    [Fact]
    public void Small_groups_keep_the_models_bands_and_a_lead_is_graded_on_its_groups_bands()
    {
        var p = Enumerable.Range(0, 40).Select(i => 0.05 + i / 100.0).Concat([0.9, 0.1]).ToArray();
        var g = Enumerable.Repeat("south", 40).Concat(["tiny", "tiny"]).ToArray();
        var grades = GroupThresholds.Fit("region", p, g, Bands, minGroupSize: 30);
        grades.Groups.Keys.ShouldBe(["south"]);
        var lead = new Lead { Id = "L1", CreatedAt = DateTimeOffset.UnixEpoch, Attributes = new Dictionary<string, string?> { ["region"] = " south " } };
        grades.BandsFor(lead, Bands).ShouldBe(grades.Groups["south"]);
        grades.BandsFor(lead with { Attributes = new Dictionary<string, string?> { ["region"] = "tiny" } }, Bands).ShouldBe(Bands);
        GroupGrades.GroupOf("Select").ShouldBe(GroupGrades.Missing);
    }
}
