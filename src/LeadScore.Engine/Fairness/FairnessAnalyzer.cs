using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Metrics;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Fairness;

/// <summary>One attribute's group value per row, aligned with the rows analysed (see <see cref="GroupGrades.GroupOf"/>).</summary>
public sealed record GroupColumn(string Attribute, FairnessRole Role, IReadOnlyList<string> Values)
{
    /// <summary>
    /// Optional, aligned with <see cref="Values"/>: the cluster each row belongs to (the lead's company). Leads of one company
    /// share much of what drives their scores, so a group's share graded A or B varies more than independent rows would; with
    /// clusters its test beyond chance uses the cluster-robust variance (<see cref="FairnessAnalyzer.ClusteredPValue"/>).
    /// </summary>
    public IReadOnlyList<string>? Clusters { get; init; }
}

/// <summary>The limits of a fairness analysis; the defaults are the documented ones (docs/fairness.md).</summary>
public sealed record FairnessOptions
{
    public static readonly FairnessOptions Default = new();
    /// <summary>Every figure needs at least this many rows behind it (group rows; matured rows; converted or lost rows).</summary>
    public int MinGroupSize { get; init; } = 30;
    public double RatioLimit { get; init; } = 0.8;
    public double OddsGapLimit { get; init; } = 0.1;
    public double ProxyLimit { get; init; } = 0.5;
    public double Significance { get; init; } = 0.05;
}

/// <summary>
/// Computes <see cref="FairnessReport"/> from grades (or probabilities and bands), outcomes where matured, and group values.
/// Pure and deterministic; usable on a model's held-out rows, on scored leads in monitoring, or by a promotion gate.
/// </summary>
public static class FairnessAnalyzer
{
    /// <summary>The decision a seller acts on.</summary>
    public static bool IsPositive(string grade) => grade is "A" or "B";

    /// <summary>Analyses probabilities graded with <paramref name="bands"/>; calibration per group is included.</summary>
    public static FairnessReport Analyze(IReadOnlyList<double> probabilities, GradeBands bands, IReadOnlyList<bool?> outcomes, IReadOnlyList<GroupColumn> groups,
        FairnessOptions? options = null, FeatureFrame? features = null) =>
        Analyze(probabilities.Select(bands.GradeOf).ToArray(), probabilities, outcomes, groups, options, features);

    /// <summary>
    /// Analyses rows by their grade. <paramref name="probabilities"/> (optional) gives calibration per group; <paramref name="outcomes"/>
    /// holds true/false where the row's outcome has matured and null where not (or is empty: no outcomes known);
    /// <paramref name="features"/> (optional, aligned with the rows) is checked for proxies of the sensitive attributes.
    /// </summary>
    public static FairnessReport Analyze(IReadOnlyList<string> grades, IReadOnlyList<double>? probabilities, IReadOnlyList<bool?> outcomes, IReadOnlyList<GroupColumn> groups,
        FairnessOptions? options = null, FeatureFrame? features = null)
    {
        var o = options ?? FairnessOptions.Default;
        var n = grades.Count;
        if (probabilities is not null && probabilities.Count != n) throw new ArgumentException("probabilities and grades differ in length");
        if (outcomes.Count != 0 && outcomes.Count != n) throw new ArgumentException("outcomes and grades differ in length");
        foreach (var g in groups)
            if (g.Values.Count != n) throw new ArgumentException($"the values of '{g.Attribute}' and the grades differ in length");
        var positive = grades.Select(IsPositive).ToArray();
        var outcome = outcomes.Count == 0 ? new bool?[n] : outcomes.ToArray();

        var attributes = groups.Select(g => Attribute(g, positive, probabilities, outcome, o)).ToArray();
        var proxies = new List<ProxyAssociation>();
        var direct = new List<string>();
        foreach (var s in groups.Where(g => g.Role == FairnessRole.Sensitive))
        {
            if (features is not null)
            {
                if (features.Count != n) throw new ArgumentException("features and grades differ in length");
                for (var f = 0; f < features.Features.Count; f++)
                {
                    var info = features.Features[f];
                    if (string.Equals(info.Name, s.Attribute, StringComparison.Ordinal)) { direct.Add(info.Name); continue; }
                    proxies.Add(Associate(info.Name, info.Kind, features, f, s, o));
                }
            }
            foreach (var w in groups.Where(g => g.Role == FairnessRole.Watch))
            {
                var v = Association.CramersV(w.Values, s.Values);
                proxies.Add(new ProxyAssociation(w.Attribute, s.Attribute, ProxyAssociation.CramersV, v, v > o.ProxyLimit));
            }
        }
        var ordered = proxies.OrderByDescending(p => p.Value).ThenBy(p => p.Feature, StringComparer.Ordinal).ToArray();
        return new FairnessReport
        {
            MinGroupSize = o.MinGroupSize,
            RatioLimit = o.RatioLimit,
            OddsGapLimit = o.OddsGapLimit,
            ProxyLimit = o.ProxyLimit,
            Significance = o.Significance,
            Rows = n,
            MaturedRows = outcome.Count(x => x is not null),
            AbShare = n == 0 ? 0 : (double)positive.Count(p => p) / n,
            Attributes = attributes,
            // Only the strongest few below the limit: the card shows what is close, not every feature.
            Proxies = ordered.Where(p => p.Alert).Concat(ordered.Where(p => !p.Alert).Take(5)).ToArray(),
            DirectUse = direct.Distinct(StringComparer.Ordinal).ToArray(),
            Flags = Flags(attributes, ordered, o),
        };
    }

    /// <summary>The lowest A/B-share ratio to the best group among the groups with enough rows (null when none has A/B).</summary>
    public static double? LowestRatio(IReadOnlyList<bool> positive, IReadOnlyList<string> groups, int minGroupSize)
    {
        var shares = GroupRows(groups).Where(g => g.Value.Count >= minGroupSize)
            .Select(g => (double)g.Value.Count(i => positive[i]) / g.Value.Count).ToArray();
        if (shares.Length == 0 || shares.Max() <= 0) return null;
        return shares.Min() / shares.Max();
    }

    private static ProxyAssociation Associate(string name, FeatureKind kind, FeatureFrame features, int column, GroupColumn s, FairnessOptions o)
    {
        double v;
        string measure;
        if (kind == FeatureKind.Categorical)
        {
            var values = Enumerable.Range(0, features.Count).Select(r => features[r, column].Category ?? GroupGrades.Missing).ToArray();
            v = Association.CramersV(values, s.Values);
            measure = ProxyAssociation.CramersV;
        }
        else
        {
            var numbers = Enumerable.Range(0, features.Count).Select(r => features.Number(r, column)).ToArray();
            // A number known on fewer rows than a group needs says nothing either way.
            v = Association.Known(numbers) < o.MinGroupSize ? 0 : Association.CorrelationRatio(s.Values, numbers);
            measure = ProxyAssociation.CorrelationRatio;
        }
        return new ProxyAssociation(name, s.Attribute, measure, v, v > o.ProxyLimit);
    }

    private static AttributeFairness Attribute(GroupColumn column, bool[] positive, IReadOnlyList<double>? probabilities, bool?[] outcome, FairnessOptions o)
    {
        var min = o.MinGroupSize;
        var byGroup = GroupRows(column.Values);
        var totalAb = positive.Count(p => p);
        var totalPos = outcome.Count(x => x == true);
        var totalNeg = outcome.Count(x => x == false);
        var totalPosAb = Enumerable.Range(0, positive.Length).Count(i => outcome[i] == true && positive[i]);
        var totalNegAb = Enumerable.Range(0, positive.Length).Count(i => outcome[i] == false && positive[i]);

        var raw = byGroup.Select(g =>
        {
            var rows = g.Value;
            var ab = rows.Count(i => positive[i]);
            var matured = rows.Where(i => outcome[i] is not null).ToArray();
            var pos = matured.Where(i => outcome[i] == true).ToArray();
            var neg = matured.Where(i => outcome[i] == false).ToArray();
            var posAb = pos.Count(i => positive[i]);
            var negAb = neg.Count(i => positive[i]);
            return new
            {
                Group = g.Key, Rows = rows.Count, Ab = ab, Matured = matured, Pos = pos.Length, Neg = neg.Length, PosAb = posAb, NegAb = negAb,
                Share = rows.Count >= min ? (double)ab / rows.Count : (double?)null,
                Tpr = pos.Length >= min ? (double)posAb / pos.Length : (double?)null,
                Fpr = neg.Length >= min ? (double)negAb / neg.Length : (double?)null,
            };
        }).ToArray();

        var shown = raw.Where(r => r.Share is not null).ToArray();
        var bestShare = shown.Length == 0 ? 0 : shown.Max(r => r.Share!.Value);
        var best = bestShare > 0 ? shown.First(r => r.Share == bestShare).Group : null;
        var maxTpr = raw.Where(r => r.Tpr is not null).Select(r => r.Tpr!.Value).DefaultIfEmpty(double.NaN).Max();
        var maxFpr = raw.Where(r => r.Fpr is not null).Select(r => r.Fpr!.Value).DefaultIfEmpty(double.NaN).Max();
        // Bonferroni over the groups shown: the more groups, the more one of them is off by chance.
        var level = o.Significance / Math.Max(1, shown.Length);

        var result = raw.Select(r =>
        {
            double? ratio = r.Share is { } s && bestShare > 0 ? s / bestShare : null;
            double? p = r.Share is null ? null
                : column.Clusters is { } clusters ? ClusteredPValue(byGroup[r.Group], positive, clusters)
                : PValue(r.Ab, r.Rows, totalAb - r.Ab, positive.Length - r.Rows);
            var below = ratio < o.RatioLimit;
            double? meanP = null, observed = null, ece = null;
            if (probabilities is not null && r.Matured.Length >= min)
            {
                var ps = r.Matured.Select(i => probabilities[i]).ToArray();
                var ys = r.Matured.Select(i => outcome[i] == true).ToArray();
                meanP = ps.Average();
                observed = (double)ys.Count(y => y) / ys.Length;
                ece = CalibrationError.Expected(ps, ys, CalibrationError.CardBins);
            }
            return new GroupFairness
            {
                Group = r.Group,
                Rows = r.Rows,
                TooFew = r.Share is null,
                AbShare = r.Share,
                AbRatio = ratio,
                AbPValue = p,
                BelowRatio = below,
                Flagged = below && p < level,
                GradedAb = r.Ab,
                Matured = r.Matured.Length,
                Positives = r.Pos,
                TruePositives = r.PosAb,
                FalsePositives = r.NegAb,
                TprPValue = r.Tpr is null ? null : PValue(r.PosAb, r.Pos, totalPosAb - r.PosAb, totalPos - r.Pos),
                FprPValue = r.Fpr is null ? null : PValue(r.NegAb, r.Neg, totalNegAb - r.NegAb, totalNeg - r.Neg),
                Tpr = r.Tpr,
                Fpr = r.Fpr,
                TprGap = r.Tpr is { } t ? maxTpr - t : null,
                FprGap = r.Fpr is { } f ? maxFpr - f : null,
                MeanPredicted = meanP,
                ObservedRate = observed,
                Ece = ece,
            };
        }).ToArray();

        var tprs = result.Where(g => g.Tpr is not null).Select(g => g.Tpr!.Value).ToArray();
        var fprs = result.Where(g => g.Fpr is not null).Select(g => g.Fpr!.Value).ToArray();
        double? eod = tprs.Length + fprs.Length == 0 ? null
            : Math.Max(tprs.Length > 0 ? tprs.Max() - tprs.Min() : 0, fprs.Length > 0 ? fprs.Max() - fprs.Min() : 0);
        return new AttributeFairness
        {
            Attribute = column.Attribute,
            Role = column.Role,
            BestGroup = best,
            LowestRatio = shown.Length == 0 || bestShare <= 0 ? null : result.Where(g => g.AbRatio is not null).Min(g => g.AbRatio),
            EqualizedOddsDifference = eod,
            GroupsTooFew = result.Count(g => g.TooFew),
            Groups = result.OrderByDescending(g => g.Rows).ThenBy(g => g.Group, StringComparer.Ordinal).ToArray(),
        };
    }

    private static IReadOnlyList<string> Flags(IReadOnlyList<AttributeFairness> attributes, IReadOnlyList<ProxyAssociation> proxies, FairnessOptions o)
    {
        var c = CultureInfo.InvariantCulture;
        var flags = new List<string>();
        foreach (var a in attributes.Where(a => a.Role == FairnessRole.Sensitive))
        {
            var best = a.Groups.FirstOrDefault(g => g.Group == a.BestGroup);
            foreach (var g in a.Groups.Where(g => g.Flagged))
                flags.Add(string.Create(c, $"{a.Attribute} = {g.Group}: {g.AbShare * 100:0}% graded A or B, {g.AbRatio:0.00} of the best group's {best?.AbShare * 100:0}% ({a.BestGroup}): below the 80% rule ({g.Rows} rows, {(g.AbPValue < 0.0001 ? "p < 0.0001" : $"p = {g.AbPValue:0.####}")})."));
            var shown = a.Groups.Count(g => !g.TooFew);
            var level = o.Significance / Math.Max(1, shown);
            foreach (var g in a.Groups)
            {
                if (g.TprGap > o.OddsGapLimit && g.TprPValue < level)
                    flags.Add(string.Create(c, $"{a.Attribute} = {g.Group}: of its leads that converted, {g.Tpr * 100:0}% were graded A or B, {g.TprGap:0.00} below the best group (equalized odds)."));
                if (g.FprGap > o.OddsGapLimit && g.FprPValue < level)
                    flags.Add(string.Create(c, $"{a.Attribute} = {g.Group}: of its leads that did not convert, {g.Fpr * 100:0}% were graded A or B, {g.FprGap:0.00} below the best group (equalized odds)."));
            }
        }
        foreach (var p in proxies.Where(p => p.Alert))
        {
            var measure = p.Measure == ProxyAssociation.CramersV ? "Cramér's V" : "correlation ratio";
            flags.Add(string.Create(c, $"{p.Feature} may stand in for {p.Attribute}: {measure} {p.Value:0.00} is above {o.ProxyLimit:0.0#}."));
        }
        return flags;
    }

    /// <summary>Two-sided p-value of a pooled two-proportion z-test (x1 of n1 against x2 of n2); null when either side is empty.</summary>
    internal static double? PValue(int x1, int n1, int x2, int n2)
    {
        if (n1 <= 0 || n2 <= 0) return null;
        var pooled = (double)(x1 + x2) / (n1 + n2);
        var se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2));
        if (se <= 0) return 1;
        var z = Math.Abs((double)x1 / n1 - (double)x2 / n2) / se;
        return Erfc(z / Math.Sqrt(2));
    }

    /// <summary>
    /// Two-sided p-value of the difference between the share of positive rows in a group (<paramref name="inGroup"/>) and in
    /// the other rows, with the cluster-robust (sandwich) variance of each share: V = k/(k-1) * sum over the side's clusters of
    /// (positives - share * rows)^2 / rows^2, k its number of clusters (the ratio-estimator variance of survey sampling; with
    /// one row per cluster it is the unpooled binomial variance). Null when a side has no rows; 1 when neither varies.
    /// </summary>
    internal static double? ClusteredPValue(IReadOnlyList<int> inGroup, IReadOnlyList<bool> positive, IReadOnlyList<string> clusters)
    {
        var n = positive.Count;
        if (clusters.Count != n) throw new ArgumentException("clusters and rows differ in length");
        var member = new bool[n];
        foreach (var i in inGroup) member[i] = true;
        (double Share, double Variance, int Rows) Side(bool side)
        {
            var byCluster = new Dictionary<string, (int Positives, int Rows)>(StringComparer.Ordinal);
            int positives = 0, rows = 0;
            for (var i = 0; i < n; i++)
            {
                if (member[i] != side) continue;
                var c = byCluster.GetValueOrDefault(clusters[i]);
                byCluster[clusters[i]] = (c.Positives + (positive[i] ? 1 : 0), c.Rows + 1);
                if (positive[i]) positives++;
                rows++;
            }
            if (rows == 0) return (0, 0, 0);
            var share = (double)positives / rows;
            var k = byCluster.Count;
            if (k < 2) return (share, 0, rows);
            var sum = 0.0;
            foreach (var (a, m) in byCluster.Values) { var d = a - share * m; sum += d * d; }
            return (share, k / (k - 1.0) * sum / ((double)rows * rows), rows);
        }
        var (p1, v1, n1) = Side(true);
        var (p2, v2, n2) = Side(false);
        if (n1 == 0 || n2 == 0) return null;
        var se = Math.Sqrt(v1 + v2);
        if (se <= 0) return p1 == p2 ? 1 : 0;
        return Erfc(Math.Abs(p1 - p2) / se / Math.Sqrt(2));
    }

    /// <summary>Complementary error function (Numerical Recipes' erfcc, fractional error below 1.2e-7), for p-values.</summary>
    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
                t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    private static Dictionary<string, List<int>> GroupRows(IReadOnlyList<string> values)
    {
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < values.Count; i++)
        {
            if (!groups.TryGetValue(values[i], out var list)) groups[values[i]] = list = [];
            list.Add(i);
        }
        return groups;
    }
}
