using LeadScore.Engine.Metrics;

namespace LeadScore.Engine.Tests.Metrics;

public sealed class RankingTests
{
    [Fact]
    public void Auc_is_one_for_a_perfect_ranking_and_zero_for_a_reversed_one()
    {
        bool[] y = [false, false, true, true];
        Ranking.Auc([0.1, 0.2, 0.8, 0.9], y).ShouldBe(1.0);
        Ranking.Auc([0.9, 0.8, 0.2, 0.1], y).ShouldBe(0.0);
    }

    [Fact]
    public void Auc_counts_ties_as_half()
    {
        Ranking.Auc([0.5, 0.5], [true, false]).ShouldBe(0.5);
        Ranking.Auc([1, 1, 1, 1], [false, true, false, true]).ShouldBe(0.5);
        // pairs (p,n): (0.7 vs 0.3)=1, (0.7 vs 0.7)=0.5, (0.2 vs 0.3)=0, (0.2 vs 0.7)=0 -> 1.5/4
        Ranking.Auc([0.7, 0.2, 0.3, 0.7], [true, true, false, false]).ShouldBe(0.375);
    }

    [Fact]
    public void Auc_matches_the_trapezoidal_roc_area_of_scikit_learn_on_tied_scores()
    {
        // Expected values computed once, exactly (as fractions), with scikit-learn's roc_auc_score algorithm:
        // ROC points at each distinct threshold, area by the trapezoidal rule. 3/4 and 10351/15589.
        double[] s = [0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.5, 0.4, 0.3, 0.3, 0.2, 0.1, 0.1, 0.05];
        bool[] y = [true, true, false, true, false, true, false, false, true, false, false, true, false, false, false];
        Ranking.Auc(s, y).ShouldBe(0.75, 1e-15);

        // 500 rows on 100 score levels from a fixed LCG, conversion more likely at higher scores.
        var scores = new double[500];
        var labels = new bool[500];
        long x = 12345;
        for (var i = 0; i < 500; i++)
        {
            x = (x * 1103515245 + 12345) % (1L << 31);
            var m = (x >> 8) % 100;
            x = (x * 1103515245 + 12345) % (1L << 31);
            scores[i] = m / 100.0;
            labels[i] = (x >> 8) % 1000 < 200 + 6 * m;
        }
        labels.Count(l => l).ShouldBe(262);
        Ranking.Auc(scores, labels).ShouldBe(10351.0 / 15589.0, 1e-12);
    }

    [Fact]
    public void Auc_is_nan_when_a_class_is_absent_so_each_caller_decides()
    {
        double.IsNaN(Ranking.Auc([0.1, 0.9], [true, true])).ShouldBeTrue();
        double.IsNaN(Ranking.Auc([0.1, 0.9], [false, false])).ShouldBeTrue();
        double.IsNaN(Ranking.Auc([], [])).ShouldBeTrue();
    }

    [Fact]
    public void Nan_scores_tie_with_each_other_below_every_number()
    {
        // Two NaNs (one of each class) tie at the bottom; the positive 0.2 beats both.
        Ranking.Auc([double.NaN, double.NaN, 0.2], [true, false, true]).ShouldBe(0.75);
    }

    [Fact]
    public void Scores_and_labels_of_different_lengths_are_refused()
    {
        Should.Throw<ArgumentException>(() => Ranking.Auc([0.1, 0.2], [true]));
    }
}
