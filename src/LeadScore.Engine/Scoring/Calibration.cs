namespace LeadScore.Engine.Scoring;

public enum CalibratorKind
{
    /// <summary>p = sigmoid(margin) (the model's own probability).</summary>
    None,
    /// <summary>p = 1 / (1 + exp(-(A * margin + B))).</summary>
    Platt,
    /// <summary>Piecewise-constant, monotone map from margin to probability.</summary>
    Isotonic,
}

/// <summary>
/// Maps a model's raw margin (log-odds) to a calibrated probability. Fitted on data the model did
/// not train on; output clamped to [<see cref="MinProbability"/>, 1 - <see cref="MinProbability"/>].
/// </summary>
public sealed record ProbabilityCalibrator
{
    public const double MinProbability = 1e-4;

    public CalibratorKind Kind { get; init; }
    public double A { get; init; } = 1;
    public double B { get; init; }
    /// <summary>Isotonic: ascending margin thresholds; <see cref="Values"/>[i] applies from Thresholds[i].</summary>
    public double[] Thresholds { get; init; } = [];
    public double[] Values { get; init; } = [];

    public static readonly ProbabilityCalibrator Identity = new() { Kind = CalibratorKind.None };

    public double Apply(double margin)
    {
        double p;
        switch (Kind)
        {
            case CalibratorKind.Platt:
                p = 1.0 / (1.0 + Math.Exp(-(A * margin + B)));
                break;
            case CalibratorKind.Isotonic:
            {
                var i = Array.BinarySearch(Thresholds, margin);
                if (i < 0) i = ~i - 1;
                p = i < 0 ? Values[0] : Values[i];
                break;
            }
            default:
                p = 1.0 / (1.0 + Math.Exp(-margin));
                break;
        }
        return Math.Clamp(p, MinProbability, 1 - MinProbability);
    }
}

/// <summary>
/// A-D grade bands on the calibrated probability: a lead is A when p &gt;= <see cref="A"/>, B when
/// p &gt;= <see cref="B"/>, C when p &gt;= <see cref="C"/>, D otherwise, with every edge read on the shown 0-100 score.
/// </summary>
/// <remarks>
/// The grade is derived from the same number that is shown: the score (the probability in whole percent) is compared with
/// each band's edge rounded the same way. Comparing the unrounded probability made one shown score straddle two grades (a
/// score of 61 was A at p = 0.6142 and B at p = 0.6131 with A = 0.6137). A band's meaning is kept to the nearest point:
/// a lead is A when its score is at least the A edge's score.
/// </remarks>
public sealed record GradeBands(double A, double B, double C)
{
    public static readonly GradeBands Default = new(0.5, 0.25, 0.10);

    /// <summary>The grade of a probability: the grade of its shown score (<see cref="ScoreOf"/>).</summary>
    public string GradeOf(double probability) => GradeOfScore(ScoreOf(probability));

    /// <summary>The grade of a 0-100 score: the one rule, so a score can never show two grades.</summary>
    public string GradeOfScore(int score) =>
        score >= ScoreOf(A) ? "A" : score >= ScoreOf(B) ? "B" : score >= ScoreOf(C) ? "C" : "D";

    /// <summary>
    /// Null when the bands can grade: 1 &gt;= A &gt; B &gt; C &gt;= 0 with each edge on its own shown score (two edges on one
    /// score would leave a grade no lead can get); else why not, naming the band.
    /// </summary>
    public string? Problem()
    {
        foreach (var (name, v) in new[] { ("a", A), ("b", B), ("c", C) })
            if (!double.IsFinite(v) || v < 0 || v > 1) return $"{name} must be a probability from 0 to 1";
        if (!(A > B && B > C)) return "the bands must fall from A to C (a > b > c)";
        if (ScoreOf(A) == ScoreOf(B) || ScoreOf(B) == ScoreOf(C))
            return "two edges round to the same score, which leaves a grade empty: keep the edges at least 0.01 apart";
        return null;
    }

    /// <summary>The bands in words: "A >= 0.60, B >= 0.30, C >= 0.10, D below".</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"A >= {A:0.####}, B >= {B:0.####}, C >= {C:0.####}, D below");

    /// <summary>Score 0-100 from a probability (rounded percent).</summary>
    public static int ScoreOf(double probability) => (int)Math.Round(Math.Clamp(probability, 0, 1) * 100, MidpointRounding.AwayFromZero);
}
