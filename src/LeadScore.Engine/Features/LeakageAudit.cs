using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Metrics;

namespace LeadScore.Engine.Features;

/// <summary>A feature that looks like it leaks the outcome, and why.</summary>
public sealed record LeakageFinding(string Feature, string Reason);

/// <summary>A recorded change of a feature's (or source column's) value for one lead, e.g. from the lead history.</summary>
public sealed record FeatureChange(string Id, string Feature, DateTimeOffset At);

/// <summary>Thresholds of the leakage audit.</summary>
public sealed record LeakageAuditOptions
{
    /// <summary>A feature that alone separates the classes better than this (univariate AUC) is too good to be true.</summary>
    public double MaxUnivariateAuc { get; init; } = 0.95;
    /// <summary>
    /// "Filled mostly for one class": the fill rate of one class is at least this many times the other's, and whether
    /// the value is filled at all predicts the outcome with an AUC of at least <see cref="MinFillAuc"/>.
    /// </summary>
    public double FillRatio { get; init; } = 2.0;
    public double MinFillAuc { get; init; } = 0.60;
    /// <summary>... and where filled, the value itself separates the classes at least this well (a judgement entered while working the deal).</summary>
    public double MinFilledAucForFillRule { get; init; } = 0.70;
    /// <summary>
    /// Apply the fill rule to numeric features too. Off by default: a missing number from a derived feature
    /// (days since the last demo request) means "no such event", an honest value; a blank category is a field
    /// nobody filled in, which is what the rule is about.
    /// </summary>
    public bool FillRuleOnNumeric { get; init; }
    /// <summary>
    /// A feature that, on the rows where it is filled (at least this share of all rows), separates the classes
    /// better than <see cref="MaxUnivariateAuc"/>: known only sometimes, but then it is the answer (notes written
    /// after the outcome, like "Closed by ..." or "Lost to ...").
    /// </summary>
    public double MinFilledShare { get; init; } = 0.3;
    /// <summary>Categorical features with a category this pure (share of one class, with at least <see cref="MinPureCount"/> rows) covering much of one class are flagged.</summary>
    public double PureCategoryShare { get; init; } = 0.99;
    public int MinPureCount { get; init; } = 30;
    /// <summary>... when such pure categories cover at least this share of the rows of one class.</summary>
    public double PureCoverage { get; init; } = 0.25;

    /// <summary>Recorded value changes (optional). With <see cref="OutcomeTimes"/>, flags features that change right after the outcome.</summary>
    public IReadOnlyList<FeatureChange>? History { get; init; }
    /// <summary>Outcome time of each row id (needed with <see cref="History"/>).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset>? OutcomeTimes { get; init; }
    /// <summary>How soon after the outcome a change counts as "right after" (and the same length before it for comparison).</summary>
    public TimeSpan ChangeWindow { get; init; } = TimeSpan.FromDays(7);
    /// <summary>Share of leads with an outcome whose value changed right after it, above which the feature is flagged.</summary>
    public double MinChangeShare { get; init; } = 0.10;
    /// <summary>
    /// Larger frames are audited on a seeded sample of this many rows (the value rules; the history rule reads every
    /// row). An AUC on 200,000 rows has a standard error of about 0.001, far below the margins the rules judge, and a
    /// million leads seen at four ages would otherwise cost a sort of 4 million values per feature.
    /// </summary>
    public int MaxRows { get; init; } = 200_000;
}

/// <summary>What the audit measured for one feature.</summary>
public sealed record FeatureLeakageProfile(string Feature, double Auc, double FilledAuc, double FilledShare, double FillPositive, double FillNegative, double FillAuc, double PureCoverage);

/// <summary>
/// Flags features that predict the outcome too well to be true before a model is trained on them:
/// a univariate AUC above 0.95 (categorical features scored by out-of-fold target encoding, so a high-cardinality
/// id-like column cannot fake it), or above 0.95 on the rows where it is filled; categories filled mostly for one
/// class only whose value, where filled, is telling too; categories that are almost pure and
/// cover much of one class (a CRM status written after the outcome); and, given history, values that change right
/// after the outcome. Pure computation over a labelled <see cref="FeatureFrame"/>; knows no feature names.
/// </summary>
public static class LeakageAudit
{
    public static IReadOnlyList<LeakageFinding> Run(FeatureFrame frame, LeakageAuditOptions? options = null)
    {
        options ??= new LeakageAuditOptions();
        if (frame.Labels.Count != frame.Count) throw new LeadScoreException("the leakage audit needs a labelled frame");
        var findings = new List<LeakageFinding>();
        var inv = CultureInfo.InvariantCulture;
        foreach (var p in Profile(Sample(frame, options.MaxRows), options))
        {
            if (p.Auc > options.MaxUnivariateAuc)
                findings.Add(new(p.Feature, string.Create(inv, $"predicts the outcome alone with AUC {p.Auc:F3} (> {options.MaxUnivariateAuc:F2}): too good to be known before the outcome")));
            else if (p.FilledAuc > options.MaxUnivariateAuc && p.FilledShare >= options.MinFilledShare && p.FilledShare < 1)
                findings.Add(new(p.Feature, string.Create(inv, $"filled for {p.FilledShare:P0} of leads, and where filled it predicts the outcome with AUC {p.FilledAuc:F3} (> {options.MaxUnivariateAuc:F2}): likely written once the outcome was known")));
            else if ((options.FillRuleOnNumeric || frame.Features[frame.IndexOf(p.Feature)].Kind == FeatureKind.Categorical) && FillSkewed(p, options))
                findings.Add(new(p.Feature, string.Create(inv, $"filled for {p.FillPositive:P0} of converted but {p.FillNegative:P0} of lost leads: whether it is filled predicts the outcome (AUC {p.FillAuc:F2})")));
            else if (p.PureCoverage >= options.PureCoverage)
                findings.Add(new(p.Feature, string.Create(inv, $"has values that occur (almost) only with one outcome and cover {p.PureCoverage:P0} of that outcome's leads: likely written after the outcome")));
        }
        if (options.History is { } history && options.OutcomeTimes is { } outcomes)
            findings.AddRange(ChangesAfterOutcome(frame, history, outcomes, options));
        return findings;
    }

    /// <summary>The frame, or a seeded sample of <paramref name="maxRows"/> of its rows (in their order) when it has more.</summary>
    internal static FeatureFrame Sample(FeatureFrame frame, int maxRows)
    {
        if (maxRows <= 0 || frame.Count <= maxRows) return frame;
        return frame.Subset(RowSample.Sorted(frame.Count, maxRows, new Random(20261202)));
    }

    private static bool FillSkewed(FeatureLeakageProfile p, LeakageAuditOptions o)
    {
        var hi = Math.Max(p.FillPositive, p.FillNegative);
        var lo = Math.Min(p.FillPositive, p.FillNegative);
        return p.FillAuc >= o.MinFillAuc && hi >= o.FillRatio * lo && p.FilledAuc >= o.MinFilledAucForFillRule;
    }

    /// <summary>The audit's measurements per feature (for display).</summary>
    public static IReadOnlyList<FeatureLeakageProfile> Profile(FeatureFrame frame, LeakageAuditOptions? options = null)
    {
        options ??= new LeakageAuditOptions();
        var n = frame.Count;
        var labels = frame.Labels;
        var pos = labels.Count(l => l);
        var neg = n - pos;
        if (pos == 0 || neg == 0) return [];
        // Features are profiled in parallel, each on its own scratch arrays; the result keeps the features' order.
        var result = new FeatureLeakageProfile[frame.Features.Count];
        Parallel.For(0, frame.Features.Count, () => (Scores: new double[n], Filled: new double[n]), (f, _, scratch) =>
        {
            result[f] = ProfileOne(frame, f, pos, neg, scratch.Scores, scratch.Filled, options);
            return scratch;
        }, _ => { });
        return result;
    }

    private static FeatureLeakageProfile ProfileOne(FeatureFrame frame, int f, int pos, int neg, double[] scores, double[] filled, LeakageAuditOptions options)
    {
        var n = frame.Count;
        var labels = frame.Labels;
        int fillPos = 0, fillNeg = 0;
        for (var r = 0; r < n; r++)
        {
            var v = frame[r, f];
            var isFilled = !v.IsMissing;
            filled[r] = isFilled ? 1 : 0;
            if (isFilled) { if (labels[r]) fillPos++; else fillNeg++; }
        }
        double pure = 0;
        if (frame.Features[f].Kind == FeatureKind.Categorical)
        {
            OutOfFoldEncode(frame, f, scores);
            pure = PureCoverage(frame, f, pos, neg, options);
        }
        else
        {
            // Missing sorts below every number: missingness is part of what the feature says.
            for (var r = 0; r < n; r++) { var x = frame[r, f].Number; scores[r] = double.IsNaN(x) ? double.NegativeInfinity : x; }
        }
        // Both classes are present in the whole frame (checked above), so these two are defined.
        var auc = Ranking.Auc(scores, labels);
        var fillAuc = Ranking.Auc(filled, labels);
        var filledScores = new List<double>(fillPos + fillNeg);
        var filledLabels = new List<bool>(fillPos + fillNeg);
        for (var r = 0; r < n; r++)
            if (filled[r] == 1) { filledScores.Add(scores[r]); filledLabels.Add(labels[r]); }
        var filledAuc = fillPos + fillNeg == n ? auc : Ranking.Auc(filledScores, filledLabels);
        // Filled rows of one class only (or none): no ranking signal among them, so chance (0.5), never a finding.
        if (double.IsNaN(filledAuc)) filledAuc = 0.5;
        return new FeatureLeakageProfile(frame.Features[f].Name, Math.Max(auc, 1 - auc), Math.Max(filledAuc, 1 - filledAuc), (double)(fillPos + fillNeg) / n,
            (double)fillPos / pos, (double)fillNeg / neg, Math.Max(fillAuc, 1 - fillAuc), pure);
    }

    /// <summary>Two-fold target encoding: each half is scored with the positive rates of the other half (smoothed).</summary>
    private static void OutOfFoldEncode(FeatureFrame frame, int f, double[] scores)
    {
        var n = frame.Count;
        var stats = new[] { new Dictionary<string, (int Pos, int N)>(StringComparer.Ordinal), new Dictionary<string, (int Pos, int N)>(StringComparer.Ordinal) };
        var foldPos = new int[2];
        var foldN = new int[2];
        for (var r = 0; r < n; r++)
        {
            var fold = r & 1;
            var key = frame[r, f].Category ?? "\0missing";
            var s = stats[fold].GetValueOrDefault(key);
            var y = frame.Labels[r] ? 1 : 0;
            stats[fold][key] = (s.Pos + y, s.N + 1);
            foldPos[fold] += y;
            foldN[fold]++;
        }
        const double m = 20; // smoothing towards the prior
        for (var r = 0; r < n; r++)
        {
            var other = 1 - (r & 1);
            var prior = foldN[other] == 0 ? 0.5 : (double)foldPos[other] / foldN[other];
            var key = frame[r, f].Category ?? "\0missing";
            var s = stats[other].GetValueOrDefault(key);
            scores[r] = (s.Pos + m * prior) / (s.N + m);
        }
    }

    /// <summary>Share of one class's rows covered by categories that are almost only that class.</summary>
    private static double PureCoverage(FeatureFrame frame, int f, int pos, int neg, LeakageAuditOptions o)
    {
        var counts = new Dictionary<string, (int Pos, int N)>(StringComparer.Ordinal);
        for (var r = 0; r < frame.Count; r++)
        {
            if (frame[r, f].Category is not { } c) continue; // missing is judged by the fill rule
            var s = counts.GetValueOrDefault(c);
            counts[c] = (s.Pos + (frame.Labels[r] ? 1 : 0), s.N + 1);
        }
        double coverPos = 0, coverNeg = 0;
        foreach (var (_, s) in counts)
        {
            if (s.N < o.MinPureCount) continue;
            if ((double)s.Pos / s.N >= o.PureCategoryShare) coverPos += s.Pos;
            else if ((double)(s.N - s.Pos) / s.N >= o.PureCategoryShare) coverNeg += s.N - s.Pos;
        }
        // Pure categories of the rare class are the telling ones; a pure majority-class bucket is common and harmless.
        return pos <= neg ? coverPos / pos : coverNeg / neg;
    }

    private static IEnumerable<LeakageFinding> ChangesAfterOutcome(FeatureFrame frame, IReadOnlyList<FeatureChange> history, IReadOnlyDictionary<string, DateTimeOffset> outcomes, LeakageAuditOptions o)
    {
        var ids = new HashSet<string>(frame.Ids, StringComparer.Ordinal);
        var withOutcome = ids.Count(outcomes.ContainsKey);
        if (withOutcome == 0) yield break;
        var after = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var before = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var c in history)
        {
            if (!ids.Contains(c.Id) || !outcomes.TryGetValue(c.Id, out var at)) continue;
            var target = c.At >= at && c.At <= at + o.ChangeWindow ? after : c.At < at && c.At >= at - o.ChangeWindow ? before : null;
            if (target is null) continue;
            if (!target.TryGetValue(c.Feature, out var set)) target[c.Feature] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(c.Id);
        }
        foreach (var (feature, leads) in after.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var share = (double)leads.Count / withOutcome;
            var shareBefore = (double)(before.GetValueOrDefault(feature)?.Count ?? 0) / withOutcome;
            if (share >= o.MinChangeShare && share >= 3 * shareBefore)
                yield return new LeakageFinding(feature, string.Create(CultureInfo.InvariantCulture,
                    $"changes within {o.ChangeWindow.TotalDays:G} days after the outcome for {share:P0} of leads (vs {shareBefore:P0} in the {o.ChangeWindow.TotalDays:G} days before): its stored value reflects the outcome"));
        }
    }
}
