using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.Engine.Modeling;

namespace LeadScore.Engine.Lifecycle;

/// <summary>A figure a gate rule tests.</summary>
public enum GateMetric
{
    Auc,
    PrAuc,
    Ece,
    Brier,
    LogLoss,
    /// <summary>The largest drop of a segment's AUC from the champion's on the same segment (0 when none dropped).</summary>
    SegmentAucDrop,
    /// <summary>
    /// The largest widening of a sensitive attribute's equalized-odds gap (a group's TPR or FPR gap to the best group,
    /// candidate minus champion); the rule also fails when a group the champion kept at or above the 80%-rule ratio falls below it.
    /// </summary>
    FairnessRegression,
}

/// <summary>
/// One declarative gate rule, like MLflow's MetricThreshold: <c>auc &gt;= champion + 0.005</c>, <c>ece &lt;= 0.03</c>,
/// <c>segment_auc_drop &lt;= 0.02</c>. The right side is a number, the champion's own figure plus or minus a margin, or the
/// larger or smaller of a number and the champion's figure: <c>ece &lt;= max(0.03, champion + 0.02)</c> holds a candidate to 0.03,
/// or to 0.02 above the champion's own ECE where that is higher (after a change in the process a candidate that ranks far
/// better than the failing champion, trained on a few weeks of the new process, is often a little less well calibrated on
/// a small hold-out; a fixed 0.03 then kept the failing champion serving).
/// </summary>
/// <param name="Metric">The figure tested.</param>
/// <param name="Operator">&gt;=, &lt;=, &gt; or &lt;.</param>
/// <param name="RelativeToChampion">Whether the right side involves the champion's figure.</param>
/// <param name="Value">The number, or the margin added to the champion's figure.</param>
/// <param name="Text">The rule as written (normalized).</param>
/// <param name="Combine">"max" or "min" when the right side is <c>max(Fixed, champion ± Value)</c> or <c>min(...)</c>; null otherwise.</param>
/// <param name="Fixed">The number inside <c>max(...)</c> or <c>min(...)</c>.</param>
public sealed record GateRule(GateMetric Metric, string Operator, bool RelativeToChampion, double Value, string Text, string? Combine = null, double Fixed = 0)
{
    private static readonly System.Text.RegularExpressions.Regex Combined = new(
        @"^(?<f>max|min)\(\s*(?:(?<n>[-+]?[0-9.eE+-]+)\s*,\s*champion\s*(?:(?<s>[+-])\s*(?<m>[0-9.eE+-]+))?|champion\s*(?:(?<s>[+-])\s*(?<m>[0-9.eE+-]+))?\s*,\s*(?<n>[-+]?[0-9.eE+-]+))\s*\)$",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public static readonly IReadOnlyList<string> MetricNames = ["auc", "pr_auc", "ece", "brier", "log_loss", "segment_auc_drop", "fairness_regression"];

    /// <summary>The margin a bare <c>fairness_regression</c> rule allows an equalized-odds gap to widen by.</summary>
    public const double DefaultFairnessMargin = 0.05;

    /// <summary>Parses one rule; the error names the part that is wrong.</summary>
    public static GateRule Parse(string text)
    {
        var t = text.Trim();
        var parts = t.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // The bare rule reads as its default: "fairness_regression" is "fairness_regression <= 0.05".
        if (parts.Length == 1 && parts[0].Equals("fairness_regression", StringComparison.OrdinalIgnoreCase))
            parts = ["fairness_regression", "<=", DefaultFairnessMargin.ToString(CultureInfo.InvariantCulture)];
        if (parts.Length < 3)
            throw new LeadScoreException($"gate rule '{text}': expected 'METRIC OP VALUE' (e.g. 'auc >= champion + 0.005' or 'ece <= 0.03')", "gate");
        var metric = parts[0].ToLowerInvariant() switch
        {
            "auc" => GateMetric.Auc,
            "pr_auc" => GateMetric.PrAuc,
            "ece" => GateMetric.Ece,
            "brier" => GateMetric.Brier,
            "log_loss" => GateMetric.LogLoss,
            "segment_auc_drop" => GateMetric.SegmentAucDrop,
            "fairness_regression" => GateMetric.FairnessRegression,
            _ => throw new LeadScoreException($"gate rule '{text}': unknown metric '{parts[0]}' (one of {string.Join(", ", MetricNames)})", "gate"),
        };
        var op = parts[1];
        if (op is not (">=" or "<=" or ">" or "<"))
            throw new LeadScoreException($"gate rule '{text}': unknown operator '{op}' (one of >=, <=, >, <)", "gate");
        if (metric == GateMetric.FairnessRegression && op is not ("<=" or "<"))
            throw new LeadScoreException($"gate rule '{text}': fairness_regression is a widening that must stay small; use '<=' or '<' (e.g. 'fairness_regression <= 0.05')", "gate");
        var rest = parts[2..];
        bool relative = false;
        double value;
        var joined = string.Join(' ', rest);
        if (rest[0].StartsWith("max(", StringComparison.OrdinalIgnoreCase) || rest[0].StartsWith("min(", StringComparison.OrdinalIgnoreCase))
        {
            if (metric is GateMetric.SegmentAucDrop or GateMetric.FairnessRegression)
                throw new LeadScoreException($"gate rule '{text}': {parts[0].ToLowerInvariant()} is already measured against the champion; give a number", "gate");
            var m = Combined.Match(joined);
            if (!m.Success || !TryNumber(m.Groups["n"].Value, out var number) || (m.Groups["m"].Success && !TryNumber(m.Groups["m"].Value, out _)))
                throw new LeadScoreException($"gate rule '{text}': expected 'max(NUMBER, champion [+|- NUMBER])' or 'min(...)', e.g. 'ece <= max(0.03, champion + 0.02)'", "gate");
            var margin = m.Groups["m"].Success ? double.Parse(m.Groups["m"].Value, NumberStyles.Float, CultureInfo.InvariantCulture) : 0;
            if (m.Groups["s"].Value == "-") margin = -margin;
            var f = m.Groups["f"].Value.ToLowerInvariant();
            var canonical = $"{f}({number.ToString(CultureInfo.InvariantCulture)}, champion{(margin != 0 ? $" {(margin > 0 ? "+" : "-")} {Math.Abs(margin).ToString(CultureInfo.InvariantCulture)}" : "")})";
            return new GateRule(metric, op, true, margin, $"{parts[0].ToLowerInvariant()} {op} {canonical}", f, number);
        }
        if (rest[0].Equals("champion", StringComparison.OrdinalIgnoreCase))
        {
            if (metric is GateMetric.SegmentAucDrop or GateMetric.FairnessRegression)
                throw new LeadScoreException($"gate rule '{text}': {parts[0].ToLowerInvariant()} is already measured against the champion; give a number", "gate");
            relative = true;
            value = 0;
            if (rest.Length == 3 && rest[1] is "+" or "-" && TryNumber(rest[2], out var margin)) value = rest[1] == "+" ? margin : -margin;
            else if (rest.Length != 1) throw new LeadScoreException($"gate rule '{text}': after 'champion' expected '+ NUMBER' or '- NUMBER'", "gate");
        }
        else if (rest.Length != 1 || !TryNumber(rest[0], out value))
            throw new LeadScoreException($"gate rule '{text}': '{string.Join(' ', rest)}' is not a number or 'champion [+|- NUMBER]'", "gate");
        if (metric == GateMetric.FairnessRegression && value is < 0 or > 1)
            throw new LeadScoreException($"gate rule '{text}': the fairness margin must be between 0 and 1", "gate");
        return new GateRule(metric, op, relative, value, string.Join(' ', parts));
    }

    private static bool TryNumber(string s, out double v) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v);

    public override string ToString() => Text;
}

/// <summary>One rule's outcome on one evaluation: the candidate's figure, the threshold it was held to, and whether it passed.</summary>
public sealed record GateRuleResult(string Rule, bool Passed, double Candidate, double? Champion, double Threshold, string Detail);

/// <summary>The gate's verdict: passed when every rule passed.</summary>
public sealed record GateResult(bool Passed, IReadOnlyList<GateRuleResult> Rules)
{
    public string Describe() => Passed
        ? "passed: " + string.Join("; ", Rules.Select(r => r.Detail))
        : "failed: " + string.Join("; ", Rules.Where(r => !r.Passed).Select(r => r.Detail));
}

/// <summary>The promotion gate: rules evaluated on a candidate and the champion measured on the same hold-out rows. Pure.</summary>
public sealed class PromotionGate(IReadOnlyList<GateRule> rules)
{
    /// <summary>The gate a new workspace starts with.</summary>
    public static readonly IReadOnlyList<string> DefaultRules = ["auc >= champion + 0.005", "ece <= max(0.03, champion + 0.02)", "segment_auc_drop <= 0.02"];

    public IReadOnlyList<GateRule> Rules { get; } = rules;

    public static PromotionGate Parse(IEnumerable<string> rules) => new([.. rules.Select(GateRule.Parse)]);

    /// <summary>Whether a rule needs the fairness figures of both models (so the caller computes them only then).</summary>
    public bool NeedsFairness => Rules.Any(r => r.Metric == GateMetric.FairnessRegression);

    /// <summary>
    /// Evaluates every rule. <paramref name="champion"/> is the champion's figures on the same rows (null when there is
    /// none: relative rules then pass, since anything beats no model).
    /// </summary>
    public GateResult Evaluate(EvaluationMetrics candidate, EvaluationMetrics? champion) => Evaluate(candidate, champion, null, null);

    /// <summary>
    /// Evaluates every rule; <paramref name="candidateFairness"/> and <paramref name="championFairness"/> are both models'
    /// fairness figures on the same rows (needed by <c>fairness_regression</c>; without them that rule fails, saying so).
    /// </summary>
    /// <param name="candidate">The candidate's figures on the hold-out.</param>
    /// <param name="champion">The champion's figures on the same rows; null when there is none.</param>
    /// <param name="candidateFairness">The candidate's fairness figures on those rows (for <c>fairness_regression</c>).</param>
    /// <param name="championFairness">The champion's fairness figures on those rows.</param>
    /// <param name="candidateEceNoise">
    /// The ECE a perfectly calibrated model shows on the hold-out by chance (<see cref="LeadScore.Engine.Metrics.CalibrationError.Noise"/>); an
    /// ECE rule's threshold is at least this, so a small hold-out does not fail a calibrated candidate on noise. Null: the
    /// rule's threshold as written.
    /// </param>
    public GateResult Evaluate(EvaluationMetrics candidate, EvaluationMetrics? champion, FairnessReport? candidateFairness, FairnessReport? championFairness,
        double? candidateEceNoise = null)
    {
        var results = new List<GateRuleResult>();
        foreach (var r in Rules)
        {
            if (r.Metric == GateMetric.FairnessRegression)
            {
                results.Add(FairnessRule(r, champion is null, candidateFairness, championFairness));
                continue;
            }
            double value;
            double? championValue = null;
            double threshold;
            if (r.Metric == GateMetric.SegmentAucDrop)
            {
                var (drop, where) = champion is null ? (0.0, "no champion") : SegmentAucDrop(candidate, champion);
                value = drop;
                threshold = r.Value;
                var ok = Compare(value, r.Operator, threshold);
                results.Add(new GateRuleResult(r.Text, ok, value, null, threshold, $"{r.Text}: largest segment AUC drop {value:F4} ({where}) {(ok ? "passes" : "fails")}"));
                continue;
            }
            value = Figure(candidate, r.Metric);
            if (r.Combine is not null && champion is null)
            {
                // No champion: the number alone.
                var alone = Compare(value, r.Operator, r.Fixed);
                results.Add(new GateRuleResult(r.Text, alone, value, null, r.Fixed, $"{Name(r.Metric)} {value:F4} {(alone ? "meets" : "misses")} {r.Operator} {r.Fixed:F4} (no champion to compare with)"));
                continue;
            }
            if (r.RelativeToChampion)
            {
                if (champion is null)
                {
                    results.Add(new GateRuleResult(r.Text, true, value, null, double.NaN, $"{r.Text}: no champion to compare with, passes"));
                    continue;
                }
                championValue = Figure(champion, r.Metric);
                threshold = championValue.Value + r.Value;
                if (r.Combine == "max") threshold = Math.Max(r.Fixed, threshold);
                else if (r.Combine == "min") threshold = Math.Min(r.Fixed, threshold);
            }
            else threshold = r.Value;
            var noiseNote = "";
            if (r.Metric == GateMetric.Ece && r.Operator is "<=" or "<" && candidateEceNoise is { } noise && noise > threshold)
            {
                noiseNote = $"; a calibrated model shows up to {noise:F4} by chance on these {candidate.Rows} rows";
                threshold = noise;
            }
            var passed = Compare(value, r.Operator, threshold);
            var vs = championValue is { } c ? $" (champion {c:F4}{(r.Value != 0 ? $" {(r.Value > 0 ? "+" : "-")} {Math.Abs(r.Value):0.####}" : "")})" : "";
            if (r.Combine is not null && championValue is { } cv)
                vs = $" ({r.Combine} of {r.Fixed:0.####} and the champion's {cv:F4}{(r.Value != 0 ? $" {(r.Value > 0 ? "+" : "-")} {Math.Abs(r.Value):0.####}" : "")})";
            if (noiseNote.Length > 0) vs = vs.Length > 0 ? vs[..^1] + noiseNote + ")" : $" ({noiseNote[2..]})";
            results.Add(new GateRuleResult(r.Text, passed, value, championValue, threshold,
                $"{Name(r.Metric)} {value:F4} {(passed ? "meets" : "misses")} {r.Operator} {threshold:F4}{vs}"));
        }
        return new GateResult(results.All(x => x.Passed), results);
    }

    private static GateRuleResult FairnessRule(GateRule r, bool noChampion, FairnessReport? candidate, FairnessReport? champion)
    {
        if (noChampion) return new GateRuleResult(r.Text, true, 0, null, r.Value, $"{r.Text}: no champion to compare with, passes");
        if (candidate is null || champion is null)
            return new GateRuleResult(r.Text, false, double.NaN, null, r.Value, $"{r.Text}: the fairness figures of both models on the hold-out are missing, fails");
        var regression = FairnessRegression.Compare(candidate, champion);
        var ok = regression.Crossings.Count == 0 && Compare(regression.Widening, r.Operator, r.Value);
        var c = CultureInfo.InvariantCulture;
        string detail;
        if (regression.Attributes == 0) detail = $"{r.Text}: no sensitive attribute with groups large enough on the hold-out, passes";
        else if (regression.Crossings.Count > 0) detail = $"{r.Text}: {string.Join("; ", regression.Crossings)}, fails";
        else detail = string.Create(c, $"{r.Text}: largest equalized-odds gap widening {regression.Widening:F4} ({regression.Where}) {(ok ? "passes" : "fails")}; no group fell below the {candidate.RatioLimit:0.##} ratio");
        return new GateRuleResult(r.Text, ok, regression.Widening, null, r.Value, detail);
    }

    /// <summary>The chance that the rule fails a candidate no worse than the champion in any segment (one-sided, over all segments together).</summary>
    public const double SegmentFalseFailure = 0.05;

    /// <summary>
    /// The one-sided z a segment's drop must exceed when <paramref name="segments"/> segments are compared: Bonferroni's
    /// correction, so the chance that any of them shows a drop by noise alone stays at <see cref="SegmentFalseFailure"/>
    /// (1.645 for one segment, 3.02 for 40). Without it, a workspace with forty segment values fails almost every candidate
    /// on one of them by chance.
    /// </summary>
    public static double SegmentDropZ(int segments) => Normal.Quantile(1 - SegmentFalseFailure / Math.Max(1, segments));

    /// <summary>
    /// The largest champion-minus-candidate AUC over segments where both have an AUC and the drop is beyond chance, and where
    /// it was. A segment of a few dozen leads with two conversions has an AUC that moves by 0.2 from one model to the next;
    /// such a drop is not evidence that the candidate serves that segment worse, and counting it failed every candidate of a
    /// small workspace. A drop counts when it exceeds <see cref="SegmentDropZ"/> standard errors of the difference (each
    /// AUC's Hanley-McNeil error from the segment's converted and not converted leads, taken as independent: the two models
    /// score the same leads, so this overstates the error and a counted drop is a real one), with z corrected for the number
    /// of segments compared.
    /// </summary>
    public static (double Drop, string Where) SegmentAucDrop(EvaluationMetrics candidate, EvaluationMetrics champion)
    {
        var theirs = champion.Segments.Where(s => s.Auc is not null).ToDictionary(s => (s.Feature, s.Value));
        var compared = candidate.Segments.Where(s => s.Auc is not null && theirs.ContainsKey((s.Feature, s.Value))).ToList();
        var z = SegmentDropZ(compared.Count);
        double worst = 0;
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var tested = string.Create(c, $"{compared.Count} segments compared, a drop counts beyond {z:F2} standard errors");
        var where = $"no segment dropped beyond chance ({tested})";
        (double Drop, string Where)? noise = null;
        foreach (var s in compared)
        {
            var mine = s.Auc!.Value;
            var champ = theirs[(s.Feature, s.Value)];
            var other = champ.Auc!.Value;
            var drop = other - mine;
            if (drop <= 0) continue;
            var se = Math.Sqrt(AucVariance(mine, s.Positives, s.Rows - s.Positives) + AucVariance(other, champ.Positives, champ.Rows - champ.Positives));
            if (drop <= z * se)
            {
                if (noise is null || drop > noise.Value.Drop) noise = (drop, string.Create(c, $"{s.Feature}={s.Value}: {mine:F4} vs champion {other:F4} on {s.Rows} leads, within chance (standard error {se:F4})"));
                continue;
            }
            if (drop > worst) { worst = drop; where = string.Create(c, $"{s.Feature}={s.Value}: {mine:F4} vs champion {other:F4} on {s.Rows} leads (standard error {se:F4}; {tested})"); }
        }
        if (worst == 0 && noise is { } n) where = $"no segment dropped beyond chance; largest drop {n.Drop.ToString("F4", c)} ({n.Where}; {tested})";
        return (worst, where);
    }

    /// <summary>Hanley and McNeil (1982): the variance of an AUC from its value and the numbers of positives and negatives.</summary>
    public static double AucVariance(double auc, int positives, int negatives)
    {
        if (positives < 1 || negatives < 1) return double.PositiveInfinity;
        var q1 = auc / (2 - auc);
        var q2 = 2 * auc * auc / (1 + auc);
        return (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / ((double)positives * negatives);
    }

    private static bool Compare(double v, string op, double t) => op switch
    {
        ">=" => v >= t,
        "<=" => v <= t,
        ">" => v > t,
        _ => v < t,
    };

    private static double Figure(EvaluationMetrics m, GateMetric metric) => metric switch
    {
        GateMetric.Auc => m.Auc,
        GateMetric.PrAuc => m.PrAuc,
        GateMetric.Ece => m.Ece,
        GateMetric.Brier => m.Brier,
        GateMetric.LogLoss => m.LogLoss,
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    private static string Name(GateMetric m) => m switch
    {
        GateMetric.Auc => "AUC",
        GateMetric.PrAuc => "PR AUC",
        GateMetric.Ece => "ECE",
        GateMetric.Brier => "Brier",
        GateMetric.LogLoss => "log loss",
        GateMetric.FairnessRegression => "fairness regression",
        _ => "segment AUC drop",
    };
}

/// <summary>What a candidate does to fairness against the champion on the same rows (the gate's <c>fairness_regression</c>).</summary>
/// <param name="Widening">The largest widening of a group's TPR or FPR gap to the best group (candidate minus champion; 0 when none widened).</param>
/// <param name="Where">The attribute, group and rate of that widening.</param>
/// <param name="Crossings">Groups the champion kept at or above the ratio threshold that the candidate puts below it, one sentence each.</param>
/// <param name="Attributes">Sensitive attributes compared (with at least one group shown by both).</param>
public sealed record FairnessRegression(double Widening, string Where, IReadOnlyList<string> Crossings, int Attributes)
{
    /// <summary>Compares the sensitive attributes' groups shown in both reports (groups too small in either are left out).</summary>
    public static FairnessRegression Compare(FairnessReport candidate, FairnessReport champion)
    {
        var c = CultureInfo.InvariantCulture;
        var limit = candidate.RatioLimit;
        double worst = 0;
        var where = "no gap widened";
        var crossings = new List<string>();
        var compared = 0;
        foreach (var a in candidate.Attributes.Where(a => a.Role == FairnessRole.Sensitive))
        {
            var theirs = champion.Attributes.FirstOrDefault(x => x.Attribute == a.Attribute && x.Role == FairnessRole.Sensitive);
            if (theirs is null) continue;
            var byGroup = theirs.Groups.ToDictionary(g => g.Group, StringComparer.Ordinal);
            var any = false;
            foreach (var g in a.Groups)
            {
                if (!byGroup.TryGetValue(g.Group, out var o)) continue;
                if (g.AbRatio is { } mine && o.AbRatio is { } other)
                {
                    any = true;
                    if (other >= limit && mine < limit)
                        crossings.Add(string.Create(c, $"{a.Attribute} = {g.Group}: A/B ratio {mine:0.00} is below {limit:0.##} where the champion's was {other:0.00}"));
                }
                foreach (var (name, mineGap, otherGap) in new[] { ("TPR", g.TprGap, o.TprGap), ("FPR", g.FprGap, o.FprGap) })
                {
                    if (mineGap is not { } m || otherGap is not { } t) continue;
                    any = true;
                    if (m - t > worst)
                    {
                        worst = m - t;
                        where = string.Create(c, $"{a.Attribute} = {g.Group}: {name} gap {m:0.000} vs champion {t:0.000}");
                    }
                }
            }
            if (any) compared++;
        }
        return new FairnessRegression(worst, where, crossings, compared);
    }
}
