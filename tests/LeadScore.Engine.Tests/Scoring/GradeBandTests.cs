using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>The grade shown next to a score is the grade of that score: no shown score straddles two grades.</summary>
public sealed class GradeBandTests
{
    [Theory]
    [InlineData(0.5, 0.25, 0.10)]
    [InlineData(0.6137, 0.3049, 0.0153)]
    [InlineData(0.0249, 0.0151, 0.0050)]
    public void Every_probability_near_a_band_edge_gets_the_grade_of_its_shown_score(double a, double b, double c)
    {
        var bands = new GradeBands(a, b, c);
        var gradeOfScore = new Dictionary<int, string>();
        foreach (var edge in new[] { a, b, c })
            for (var step = -2000; step <= 2000; step++)
            {
                // Dense around each edge: 1e-6 steps over +-0.002, where rounding to a whole score decides.
                var p = Math.Clamp(edge + step * 1e-6, 0, 1);
                var score = GradeBands.ScoreOf(p);
                var grade = bands.GradeOf(p);
                grade.ShouldBe(bands.GradeOfScore(score));
                if (gradeOfScore.TryGetValue(score, out var seen)) grade.ShouldBe(seen, $"score {score} shown with two grades");
                else gradeOfScore[score] = grade;
            }
    }

    [Fact]
    public void Grades_keep_the_bands_meaning_to_the_nearest_point()
    {
        var bands = new GradeBands(0.6137, 0.3049, 0.0153);
        // The examples from issue 17: a score of 61 and a score of 2 each have one grade now.
        bands.GradeOf(0.6131).ShouldBe("A");
        bands.GradeOf(0.6142).ShouldBe("A");
        bands.GradeOf(0.6049).ShouldBe("B");
        bands.GradeOf(0.0151).ShouldBe("C");
        bands.GradeOf(0.0160).ShouldBe("C");
        bands.GradeOf(0.0149).ShouldBe("D");
        bands.GradeOf(0.30).ShouldBe("B");
        bands.GradeOf(0.29).ShouldBe("C");
        bands.GradeOf(1.0).ShouldBe("A");
        bands.GradeOf(0.0).ShouldBe("D");
    }

    [Fact]
    public void Probabilities_across_the_whole_range_agree_with_their_score()
    {
        var bands = GradeBands.Default;
        for (var i = 0; i <= 100_000; i++)
        {
            var p = i / 100_000.0;
            bands.GradeOf(p).ShouldBe(bands.GradeOfScore(GradeBands.ScoreOf(p)));
        }
        bands.GradeOf(0.4949).ShouldBe("B");
    }
}
