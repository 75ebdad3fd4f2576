using LeadScore.Core;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Modeling;

/// <summary>
/// Fits a <see cref="ProbabilityCalibrator"/> on raw margins of rows the model did not train on
/// (out-of-fold margins from cross-validation).
/// </summary>
public static class CalibrationFitter
{
    /// <summary>Platt scaling: a 1-D logistic regression on the margin, with Platt's smoothed targets (Newton's method).</summary>
    public static ProbabilityCalibrator FitPlatt(IReadOnlyList<double> margins, IReadOnlyList<bool> labels)
    {
        var n = margins.Count;
        var pos = labels.Count(l => l);
        var neg = n - pos;
        // Platt (1999): targets (N+ + 1)/(N+ + 2) and 1/(N- + 2) keep the fit finite on separable data.
        var tPos = (pos + 1.0) / (pos + 2.0);
        var tNeg = 1.0 / (neg + 2.0);
        double Loss(double a0, double b0)
        {
            double l = 0;
            for (var i = 0; i < n; i++)
            {
                var t = labels[i] ? tPos : tNeg;
                var z = a0 * margins[i] + b0;
                // log(1 + e^z) - t*z, computed stably.
                l += (z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z))) - t * z;
            }
            return l;
        }
        double a = 1, b = 0;
        var loss = Loss(a, b);
        for (var iter = 0; iter < 100; iter++)
        {
            double g0 = 0, g1 = 0, h00 = 1e-12, h01 = 0, h11 = 1e-12;
            for (var i = 0; i < n; i++)
            {
                var t = labels[i] ? tPos : tNeg;
                var p = 1.0 / (1.0 + Math.Exp(-(a * margins[i] + b)));
                var d = p - t;
                var w = p * (1 - p);
                g0 += d * margins[i]; g1 += d;
                h00 += w * margins[i] * margins[i]; h01 += w * margins[i]; h11 += w;
            }
            var det = h00 * h11 - h01 * h01;
            if (Math.Abs(det) < 1e-18) break;
            var da = (h11 * g0 - h01 * g1) / det;
            var db = (h00 * g1 - h01 * g0) / det;
            // Newton with step halving: a full step can overshoot when the Hessian is nearly flat.
            var step = 1.0;
            double na = a, nb = b, nl = loss;
            while (step > 1e-10)
            {
                na = a - step * da; nb = b - step * db; nl = Loss(na, nb);
                if (nl <= loss + 1e-12) break;
                step /= 2;
            }
            if (step <= 1e-10) break;
            var done = Math.Abs(na - a) < 1e-10 && Math.Abs(nb - b) < 1e-10;
            a = na; b = nb; loss = nl;
            if (done) break;
        }
        return new ProbabilityCalibrator { Kind = CalibratorKind.Platt, A = a, B = b };
    }

    /// <summary>Isotonic regression (pool-adjacent-violators) from margin to probability.</summary>
    public static ProbabilityCalibrator FitIsotonic(IReadOnlyList<double> margins, IReadOnlyList<bool> labels)
    {
        var idx = Enumerable.Range(0, margins.Count).ToArray();
        Array.Sort(idx, (x, y) => { var c = margins[x].CompareTo(margins[y]); return c != 0 ? c : x.CompareTo(y); });
        // Blocks: start margin, sum of labels, weight. Equal margins start in one block so ties get one value.
        var start = new List<double>(); var sum = new List<double>(); var weight = new List<double>();
        var k = 0;
        while (k < idx.Length)
        {
            var m = margins[idx[k]];
            double s = 0, w = 0;
            while (k < idx.Length && margins[idx[k]] == m) { s += labels[idx[k]] ? 1 : 0; w++; k++; }
            start.Add(m); sum.Add(s); weight.Add(w);
            while (start.Count > 1 && sum[^2] / weight[^2] >= sum[^1] / weight[^1])
            {
                sum[^2] += sum[^1]; weight[^2] += weight[^1];
                start.RemoveAt(start.Count - 1); sum.RemoveAt(sum.Count - 1); weight.RemoveAt(weight.Count - 1);
            }
        }
        return new ProbabilityCalibrator
        {
            Kind = CalibratorKind.Isotonic,
            Thresholds = start.ToArray(),
            Values = sum.Zip(weight, (s, w) => s / w).ToArray(),
        };
    }

    /// <summary>
    /// Chooses Platt or isotonic by a two-fold check on the calibration rows (fit on one half, log loss on
    /// the other, both ways). Isotonic needs many rows; below 1,000 rows or 100 positives Platt is taken.
    /// </summary>
    public static (ProbabilityCalibrator Calibrator, string Why) FitBest(IReadOnlyList<double> margins, IReadOnlyList<bool> labels, int seed)
    {
        var pos = labels.Count(l => l);
        if (margins.Count < 1000 || pos < 100)
            return (FitPlatt(margins, labels), $"Platt scaling ({margins.Count} calibration rows, {pos} converted: too few for isotonic)");
        var rng = new Random(seed);
        var half = Enumerable.Range(0, margins.Count).Select(_ => rng.Next(2)).ToArray();
        double llPlatt = 0, llIso = 0;
        for (var h = 0; h < 2; h++)
        {
            var fitIdx = Enumerable.Range(0, margins.Count).Where(i => half[i] == h).ToArray();
            var evalIdx = Enumerable.Range(0, margins.Count).Where(i => half[i] != h).ToArray();
            var fm = fitIdx.Select(i => margins[i]).ToArray(); var fl = fitIdx.Select(i => labels[i]).ToArray();
            var platt = FitPlatt(fm, fl); var iso = FitIsotonic(fm, fl);
            foreach (var i in evalIdx)
            {
                llPlatt += LogLoss(platt.Apply(margins[i]), labels[i]);
                llIso += LogLoss(iso.Apply(margins[i]), labels[i]);
            }
        }
        llPlatt /= margins.Count; llIso /= margins.Count;
        return llIso < llPlatt - 1e-4
            ? (FitIsotonic(margins, labels), $"isotonic (held-out log loss {llIso:F4} vs Platt {llPlatt:F4})")
            : (FitPlatt(margins, labels), $"Platt scaling (held-out log loss {llPlatt:F4} vs isotonic {llIso:F4})");
    }

    private static double LogLoss(double p, bool y) => -(y ? Math.Log(p) : Math.Log(1 - p));

    /// <summary>
    /// Default grade bands from the score distribution of out-of-fold probabilities: A = top 10% of leads,
    /// B = next 20%, C = next 30%, D = the rest. Cuts are kept strictly decreasing. With <paramref name="weights"/> (the
    /// rows' pipeline weights, see <see cref="FeatureFrame.Weights"/>) the shares are of the weight, not of the rows: rows of
    /// leads seen at several ages then count as the open pipeline on a given day would, so live open leads fall into the
    /// bands at the stated shares.
    /// </summary>
    public static GradeBands ChooseGrades(IReadOnlyList<double> probabilities, double topA = 0.10, double topB = 0.30, double topC = 0.60, IReadOnlyList<double>? weights = null)
    {
        if (probabilities.Count == 0) return GradeBands.Default;
        var order = Enumerable.Range(0, probabilities.Count).OrderByDescending(i => probabilities[i]).ThenBy(i => i).ToArray();
        double W(int i) => weights is { } w && w.Count == probabilities.Count ? w[i] : 1;
        var total = order.Sum(W);
        // The probability of the row at which the cumulative weight (highest first) first reaches the share.
        double Cut(double frac)
        {
            var target = total * frac;
            var acc = 0.0;
            foreach (var i in order)
            {
                acc += W(i);
                if (acc >= target - 1e-9 * total) return probabilities[i];
            }
            return probabilities[order[^1]];
        }
        var a = Math.Round(Cut(topA), 4);
        var b = Math.Min(Math.Round(Cut(topB), 4), a - 1e-4);
        var c = Math.Min(Math.Round(Cut(topC), 4), b - 1e-4);
        return new GradeBands(a, b, Math.Max(c, 0));
    }
}
