using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Monitoring;

/// <summary>Realized performance (outcomes known) and NannyML's CBPE estimate (outcomes pending).</summary>
public static class Performance
{
    /// <summary>AUC, PR-AUC, ECE and lift at 10% as the model card computes them (Evaluator), and calibration per grade.</summary>
    public static RealizedPerformance Realized(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, IReadOnlyList<string?>? grades = null)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        var m = Evaluator.Evaluate(probabilities, labels);
        var perGrade = new List<GradeCalibration>();
        if (grades is not null)
        {
            if (grades.Count != probabilities.Count) throw new ArgumentException("grades and probabilities differ in length", nameof(grades));
            var acc = new SortedDictionary<string, (int Rows, double SumP, int Pos)>(StringComparer.Ordinal);
            for (var i = 0; i < grades.Count; i++)
            {
                if (grades[i] is not { } g) continue;
                var a = acc.GetValueOrDefault(g);
                acc[g] = (a.Rows + 1, a.SumP + probabilities[i], a.Pos + (labels[i] ? 1 : 0));
            }
            perGrade.AddRange(acc.Select(kv => new GradeCalibration(kv.Key, kv.Value.Rows, kv.Value.SumP / kv.Value.Rows, (double)kv.Value.Pos / kv.Value.Rows)));
        }
        return new RealizedPerformance
        {
            Rows = m.Rows, Positives = m.Positives, Auc = m.Auc, PrAuc = m.PrAuc, Ece = m.Ece, LiftAt10 = m.LiftAt(0.1).Lift,
            CalibrationPerGrade = perGrade,
        };
    }

    /// <summary>
    /// CBPE: the expected confusion matrix at <paramref name="threshold"/> (a lead at or above it is predicted to convert;
    /// each lead adds p to the expected positives and 1 - p to the negatives) and the expected ROC AUC.
    /// </summary>
    public static EstimatedPerformance Estimated(IReadOnlyList<double> probabilities, double threshold)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        double tp = 0, fp = 0, tn = 0, fn = 0;
        foreach (var p in probabilities)
        {
            if (p >= threshold) { tp += p; fp += 1 - p; }
            else { fn += p; tn += 1 - p; }
        }
        var n = probabilities.Count;
        return new EstimatedPerformance(n, EstimatedAuc(probabilities), threshold, new ExpectedConfusion(tp, fp, tn, fn),
            tp + fp == 0 ? double.NaN : tp / (tp + fp), tp + fn == 0 ? double.NaN : tp / (tp + fn), n == 0 ? double.NaN : (tp + tn) / n);
    }

    /// <summary>
    /// NannyML's estimate_roc_auc with the calibrated probabilities as both the score and the expected label: walk the
    /// leads by falling probability, expected true positives are the running sum of p and false positives of 1 - p
    /// (rounded to 5 decimals as NannyML does), and integrate the expected ROC curve by trapezoids. NaN for fewer than two leads.
    /// </summary>
    public static double EstimatedAuc(IReadOnlyList<double> probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var n = probabilities.Count;
        if (n < 2) return double.NaN;
        var p = probabilities.ToArray();
        Array.Sort(p);
        Array.Reverse(p);
        var tps = new double[n + 1]; var fps = new double[n + 1];
        double cum = 0;
        for (var i = 0; i < n; i++)
        {
            cum += p[i];
            tps[i + 1] = Round5(cum);
            fps[i + 1] = Round5(1 + i - cum);
        }
        var tpMax = tps[n]; var fpMax = fps[n];
        if (tpMax == 0 || fpMax == 0) return double.NaN;
        double auc = 0;
        for (var i = 1; i <= n; i++)
            auc += (fps[i] / fpMax - fps[i - 1] / fpMax) * (tps[i] / tpMax + tps[i - 1] / tpMax) / 2;
        return auc;
    }

    // numpy.round(x, 5): round half to even on x * 1e5.
    private static double Round5(double x) => Math.Round(x * 1e5, MidpointRounding.ToEven) / 1e5;
}
