using LeadScore.Core;
using LeadScore.Engine.Metrics;

namespace LeadScore.Engine.Modeling;

/// <summary>Counts at a decision threshold.</summary>
public sealed record ConfusionMatrix(int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives);

/// <summary>Share of all conversions (gain) and lift over the base rate in the top <see cref="Fraction"/> of leads by score.</summary>
public sealed record LiftPoint(double Fraction, int Rows, int Positives, double Gain, double Lift);

/// <summary>One bin of the reliability (calibration) curve.</summary>
public sealed record CalibrationBin(double Lower, double Upper, int Rows, double MeanPredicted, double ObservedRate);

/// <summary>Metrics on one segment of the held-out data (e.g. source = "Google").</summary>
public sealed record SegmentMetrics(string Feature, string Value, int Rows, int Positives, double ConversionRate, double MeanPredicted, double? Auc, double Brier);

/// <summary>
/// Everything measured on held-out data. Log loss is in nats (natural log); PR-AUC is average precision;
/// ECE uses 10 equal-width probability bins weighted by rows.
/// </summary>
public sealed record EvaluationMetrics
{
    public required int Rows { get; init; }
    public required int Positives { get; init; }
    public double BaseRate => Rows == 0 ? 0 : (double)Positives / Rows;
    public required double Auc { get; init; }
    public required double PrAuc { get; init; }
    public required double LogLoss { get; init; }
    public required double Brier { get; init; }
    public required double Ece { get; init; }
    /// <summary>The probability threshold that maximises F1 (a lead at or above it counts as predicted to convert).</summary>
    public required double Threshold { get; init; }
    public required double Precision { get; init; }
    public required double Recall { get; init; }
    public required double F1 { get; init; }
    public required ConfusionMatrix Confusion { get; init; }
    /// <summary>At the top 10%, 20% and 30%.</summary>
    public required IReadOnlyList<LiftPoint> Lift { get; init; }
    public required IReadOnlyList<CalibrationBin> Calibration { get; init; }
    public IReadOnlyList<SegmentMetrics> Segments { get; init; } = [];
    /// <summary>
    /// The ROC curve on the held-out rows, at most <see cref="Evaluator.RocPoints"/> points from (0,0) to (1,1), for the
    /// model card's plot; empty on cards written before it (and when one class is absent).
    /// </summary>
    public IReadOnlyList<RocPoint> Roc { get; init; } = [];

    public LiftPoint LiftAt(double fraction) => Lift.First(l => Math.Abs(l.Fraction - fraction) < 1e-9);
}

/// <summary>One point of the ROC curve: at some probability threshold, the share of non-converting leads above it (false positive rate) and of converting ones (true positive rate).</summary>
public sealed record RocPoint(double Fpr, double Tpr);

/// <summary>Points of the ROC, precision-recall and cumulative-gain curves, for plots.</summary>
public sealed record EvaluationCurves(double[] RocFpr, double[] RocTpr, double[] PrRecall, double[] PrPrecision, double[] GainFraction, double[] Gain);

/// <summary>Computes held-out metrics from probabilities and labels. Pure and deterministic.</summary>
public static class Evaluator
{
    /// <summary>The top fractions of leads at which <see cref="EvaluationMetrics.Lift"/> is reported.</summary>
    public static readonly IReadOnlyList<double> LiftFractions = Array.AsReadOnly(new[] { 0.1, 0.2, 0.3 });
    private const double Eps = 1e-15;

    /// <summary>
    /// Evaluates probabilities against labels; when <paramref name="frame"/> is given (aligned with the
    /// probabilities), also per segment for each categorical feature marked <see cref="FeatureInfo.IsSegment"/>.
    /// </summary>
    public static EvaluationMetrics Evaluate(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, FeatureFrame? frame = null, int minSegmentRows = 30, int maxSegmentsPerFeature = 12)
    {
        if (probabilities.Count != labels.Count) throw new ArgumentException("probabilities and labels differ in length");
        var n = labels.Count;
        var pos = labels.Count(l => l);
        var order = SortDescending(probabilities);

        // Threshold at best F1: walk down the ranking; a threshold is only taken at the end of a run of ties.
        double bestF1 = 0, bestThr = 1, bestP = 0, bestR = 0;
        int tp = 0, fp = 0, bestTp = 0, bestFp = 0;
        for (var k = 0; k < n; k++)
        {
            if (labels[order[k]]) tp++; else fp++;
            if (k + 1 < n && probabilities[order[k + 1]] == probabilities[order[k]]) continue;
            var p = (double)tp / (tp + fp);
            var r = pos == 0 ? 0 : (double)tp / pos;
            var f1 = p + r == 0 ? 0 : 2 * p * r / (p + r);
            if (f1 > bestF1) { bestF1 = f1; bestThr = probabilities[order[k]]; bestP = p; bestR = r; bestTp = tp; bestFp = fp; }
        }

        double ll = 0, brier = 0;
        for (var i = 0; i < n; i++)
        {
            var p = Math.Clamp(probabilities[i], Eps, 1 - Eps);
            ll -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
            var d = probabilities[i] - (labels[i] ? 1 : 0);
            brier += d * d;
        }

        var bins = CalibrationBins(probabilities, labels, CalibrationError.CardBins);
        var ece = CalibrationError.Expected(probabilities, labels, CalibrationError.CardBins);

        return new EvaluationMetrics
        {
            Rows = n,
            Positives = pos,
            Auc = Ranking.Auc(probabilities, labels), // NaN when one class is absent
            PrAuc = AveragePrecision(probabilities, labels, order),
            LogLoss = n == 0 ? 0 : ll / n,
            Brier = n == 0 ? 0 : brier / n,
            Ece = ece,
            Threshold = bestThr,
            Precision = bestP,
            Recall = bestR,
            F1 = bestF1,
            Confusion = new ConfusionMatrix(bestTp, bestFp, n - pos - bestFp, pos - bestTp),
            Lift = LiftFractions.Select(f => LiftAt(probabilities, labels, order, f)).ToArray(),
            Calibration = bins,
            Segments = frame is null ? [] : SegmentsOf(probabilities, labels, frame, minSegmentRows, maxSegmentsPerFeature),
            Roc = pos == 0 || pos == n ? [] : RocCurve(probabilities, labels),
        };
    }

    /// <summary>The most points a stored ROC curve keeps (enough for a plot; a card stays small).</summary>
    public const int RocPoints = 101;

    /// <summary>The ROC curve thinned to at most <see cref="RocPoints"/> points: evenly spaced along the curve, always with both ends.</summary>
    public static IReadOnlyList<RocPoint> RocCurve(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        var c = Curves(probabilities, labels);
        var m = c.RocFpr.Length;
        if (m <= RocPoints) return c.RocFpr.Select((f, i) => new RocPoint(Math.Round(f, 6), Math.Round(c.RocTpr[i], 6))).ToArray();
        var points = new RocPoint[RocPoints];
        for (var k = 0; k < RocPoints; k++)
        {
            var i = (int)Math.Round((double)k * (m - 1) / (RocPoints - 1));
            points[k] = new RocPoint(Math.Round(c.RocFpr[i], 6), Math.Round(c.RocTpr[i], 6));
        }
        return points;
    }

    public static EvaluationCurves Curves(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        var n = labels.Count;
        var pos = Math.Max(1, labels.Count(l => l));
        var neg = Math.Max(1, n - labels.Count(l => l));
        var order = SortDescending(probabilities);
        var fpr = new List<double> { 0 }; var tpr = new List<double> { 0 };
        var rec = new List<double>(); var prec = new List<double>();
        var gx = new List<double> { 0 }; var gy = new List<double> { 0 };
        int tp = 0, fp = 0;
        for (var k = 0; k < n; k++)
        {
            if (labels[order[k]]) tp++; else fp++;
            if (k + 1 < n && probabilities[order[k + 1]] == probabilities[order[k]]) continue;
            fpr.Add((double)fp / neg); tpr.Add((double)tp / pos);
            rec.Add((double)tp / pos); prec.Add((double)tp / (tp + fp));
            gx.Add((k + 1.0) / n); gy.Add((double)tp / pos);
        }
        return new EvaluationCurves(fpr.ToArray(), tpr.ToArray(), rec.ToArray(), prec.ToArray(), gx.ToArray(), gy.ToArray());
    }

    private static double AveragePrecision(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, int[] order)
    {
        var pos = labels.Count(l => l);
        if (pos == 0) return double.NaN;
        double ap = 0, prevRecall = 0;
        int tp = 0, seen = 0;
        for (var k = 0; k < order.Length; k++)
        {
            seen++;
            if (labels[order[k]]) tp++;
            if (k + 1 < order.Length && probabilities[order[k + 1]] == probabilities[order[k]]) continue;
            var recall = (double)tp / pos;
            ap += (recall - prevRecall) * tp / seen;
            prevRecall = recall;
        }
        return ap;
    }

    private static LiftPoint LiftAt(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, int[] order, double fraction)
    {
        var n = labels.Count;
        var pos = labels.Count(l => l);
        var k = (int)Math.Ceiling(n * fraction);
        var tp = 0;
        for (var i = 0; i < k && i < n; i++) if (labels[order[i]]) tp++;
        var gain = pos == 0 ? 0 : (double)tp / pos;
        var baseRate = n == 0 ? 0 : (double)pos / n;
        var lift = k == 0 || baseRate == 0 ? 0 : (double)tp / k / baseRate;
        return new LiftPoint(fraction, k, tp, gain, lift);
    }

    public static IReadOnlyList<CalibrationBin> CalibrationBins(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, int bins)
    {
        var count = new int[bins]; var sumP = new double[bins]; var sumY = new int[bins];
        for (var i = 0; i < probabilities.Count; i++)
        {
            var b = CalibrationError.BinOf(probabilities[i], bins);
            count[b]++; sumP[b] += probabilities[i]; if (labels[i]) sumY[b]++;
        }
        var result = new List<CalibrationBin>();
        for (var b = 0; b < bins; b++)
            if (count[b] > 0)
                result.Add(new CalibrationBin((double)b / bins, (b + 1.0) / bins, count[b], sumP[b] / count[b], (double)sumY[b] / count[b]));
        return result;
    }

    private static IReadOnlyList<SegmentMetrics> SegmentsOf(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, FeatureFrame frame, int minRows, int maxPerFeature)
    {
        var result = new List<SegmentMetrics>();
        for (var f = 0; f < frame.Features.Count; f++)
        {
            var info = frame.Features[f];
            if (!info.IsSegment || info.Kind != FeatureKind.Categorical) continue;
            var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            for (var r = 0; r < frame.Count; r++)
            {
                var v = frame[r, f].Category ?? "(missing)";
                if (!groups.TryGetValue(v, out var list)) groups[v] = list = [];
                list.Add(r);
            }
            foreach (var (value, rows) in groups.Where(g => g.Value.Count >= minRows).OrderByDescending(g => g.Value.Count).ThenBy(g => g.Key, StringComparer.Ordinal).Take(maxPerFeature))
            {
                var p = rows.Select(r => probabilities[r]).ToArray();
                var y = rows.Select(r => labels[r]).ToArray();
                var npos = y.Count(b => b);
                var brier = 0.0;
                for (var i = 0; i < p.Length; i++) { var d = p[i] - (y[i] ? 1 : 0); brier += d * d; }
                var auc = npos > 0 && npos < y.Length ? Ranking.Auc(p, y) : (double?)null;
                result.Add(new SegmentMetrics(info.Name, value, rows.Count, npos, (double)npos / rows.Count, p.Average(), auc, brier / p.Length));
            }
        }
        return result;
    }

    private static int[] SortDescending(IReadOnlyList<double> scores)
    {
        var idx = Enumerable.Range(0, scores.Count).ToArray();
        // Stable on ties (index order) so results do not depend on the sort's internals.
        Array.Sort(idx, (a, b) => { var c = scores[b].CompareTo(scores[a]); return c != 0 ? c : a.CompareTo(b); });
        return idx;
    }
}
