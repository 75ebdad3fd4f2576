using LeadScore.Engine.Metrics;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Fairness;

/// <summary>
/// Group-aware grade thresholds (the optional mitigation): each group's A cut and A/B cut are set on the 0-100 score so that its
/// share of A and of A-or-B matches the overall share under the model's bands (demographic parity of the decision a seller
/// acts on, which is what the 80% rule measures). Equal TPR was the alternative; it needs matured outcomes per group, which small
/// groups do not have for months, and its cuts would move as outcomes arrive, while shares are known the day leads are scored.
/// The probability and the score are left as they are: only the grade read on them changes.
/// </summary>
public static class GroupThresholds
{
    /// <summary>
    /// Fits the bands on rows the evaluation does not see (training rows' out-of-fold probabilities). Groups with fewer than
    /// <paramref name="minGroupSize"/> rows keep the model's bands.
    /// </summary>
    public static GroupGrades Fit(string attribute, IReadOnlyList<double> probabilities, IReadOnlyList<string> groups, GradeBands bands, int minGroupSize)
    {
        if (probabilities.Count != groups.Count) throw new ArgumentException("probabilities and groups differ in length");
        var scores = probabilities.Select(GradeBands.ScoreOf).ToArray();
        int aCut = GradeBands.ScoreOf(bands.A), bCut = GradeBands.ScoreOf(bands.B), cCut = GradeBands.ScoreOf(bands.C);
        var n = scores.Length;
        var aShare = n == 0 ? 0 : (double)scores.Count(s => s >= aCut) / n;
        var abShare = n == 0 ? 0 : (double)scores.Count(s => s >= bCut) / n;
        var result = new SortedDictionary<string, GradeBands>(StringComparer.Ordinal);
        foreach (var g in Enumerable.Range(0, n).GroupBy(i => groups[i], StringComparer.Ordinal))
        {
            var s = g.Select(i => scores[i]).ToArray();
            if (s.Length < minGroupSize) continue;
            var b = CutFor(s, abShare, bCut, 0);
            var a = CutFor(s, aShare, aCut, b);
            var c = Math.Min(cCut, b);
            result[g.Key] = new GradeBands(a / 100.0, b / 100.0, c / 100.0);
        }
        return new GroupGrades { Attribute = attribute, Groups = result };
    }

    /// <summary>
    /// What the bands do on held-out rows: the lowest 80%-rule ratio and the AUC of the grades, before and after
    /// (the probabilities' AUC is unchanged by construction).
    /// </summary>
    public static MitigationEffect Effect(GroupGrades grades, bool applied, IReadOnlyList<double> probabilities, IReadOnlyList<string> groups,
        IReadOnlyList<bool?> outcomes, GradeBands bands, int minGroupSize)
    {
        var before = probabilities.Select(bands.GradeOf).ToArray();
        var after = probabilities.Select((p, i) => (grades.Groups.TryGetValue(groups[i], out var b) ? b : bands).GradeOf(p)).ToArray();
        var matured = Enumerable.Range(0, probabilities.Count).Where(i => outcomes.Count > 0 && outcomes[i] is not null).ToArray();
        var labels = matured.Select(i => outcomes[i] == true).ToArray();
        double? Auc(IReadOnlyList<double> x) => matured.Length == 0 || double.IsNaN(Ranking.Auc(x, labels)) ? null : Ranking.Auc(x, labels);
        return new MitigationEffect
        {
            Attribute = grades.Attribute,
            Applied = applied,
            ProbabilityAuc = Auc(matured.Select(i => probabilities[i]).ToArray()),
            GradeAucBefore = Auc(matured.Select(i => Rank(before[i])).ToArray()),
            GradeAucAfter = Auc(matured.Select(i => Rank(after[i])).ToArray()),
            LowestRatioBefore = FairnessAnalyzer.LowestRatio(before.Select(FairnessAnalyzer.IsPositive).ToArray(), groups, minGroupSize),
            LowestRatioAfter = FairnessAnalyzer.LowestRatio(after.Select(FairnessAnalyzer.IsPositive).ToArray(), groups, minGroupSize),
            AbCut = grades.Groups.ToDictionary(g => g.Key, g => GradeBands.ScoreOf(g.Value.B), StringComparer.Ordinal),
            ModelAbCut = GradeBands.ScoreOf(bands.B),
        };
    }

    /// <summary>The score cut (at or above <paramref name="floor"/>) whose share of scores at or above it is nearest the target; ties go to the model's cut, then the higher cut.</summary>
    private static int CutFor(int[] scores, double target, int modelCut, int floor)
    {
        var best = modelCut < floor ? floor : modelCut;
        var bestDiff = double.MaxValue;
        for (var cut = 100; cut >= floor; cut--)
        {
            var diff = Math.Abs((double)scores.Count(s => s >= cut) / scores.Length - target);
            if (diff < bestDiff - 1e-12 || (Math.Abs(diff - bestDiff) <= 1e-12 && Math.Abs(cut - modelCut) < Math.Abs(best - modelCut)))
            {
                best = cut;
                bestDiff = diff;
            }
        }
        return best;
    }

    private static double Rank(string grade) => grade switch { "A" => 3, "B" => 2, "C" => 1, _ => 0 };
}
