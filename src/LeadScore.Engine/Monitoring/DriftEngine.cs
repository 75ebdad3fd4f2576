using System.Buffers;
using System.Globalization;
using LeadScore.Core;

namespace LeadScore.Engine.Monitoring;

/// <summary>
/// Compares a current window with the reference: per-feature drift with Evidently's size-aware test choice, PSI for
/// every feature, dataset drift by importance share, score and grade-mix drift and the domain classifier. Pure.
/// Build the <see cref="ReferenceProfile"/> once and compare many windows against it; features run in parallel.
/// </summary>
public static class DriftEngine
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The name the score column is reported under.</summary>
    public const string ScoreFeature = "score";

    /// <summary>
    /// Compares <paramref name="current"/> with a prepared reference. <paramref name="importance"/>: feature importance
    /// by name (any scale; normalised here); null = each feature weighs the same.
    /// </summary>
    public static DriftReport Compare(ReferenceProfile reference, DriftSample current, DriftOptions? options = null, IReadOnlyDictionary<string, double>? importance = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        options ??= DriftOptions.Default;
        var byName = new Dictionary<string, FeatureColumn>(StringComparer.Ordinal);
        foreach (var c in current.Columns) byName[c.Name] = c;
        var cols = reference.Columns;
        var missing = cols.Where(c => !byName.ContainsKey(c.Name)).Select(c => c.Name).ToList();
        if (missing.Count > 0) throw new ArgumentException($"The current sample lacks the reference's features: {string.Join(", ", missing)}.", nameof(current));

        var features = new FeatureDrift[cols.Count];
        Parallel.For(0, cols.Count, i => features[i] = FeatureOf(cols[i], byName[cols[i].Name], options));

        // Dataset drift: the share of importance carried by drifted features.
        var weights = new double[cols.Count];
        for (var i = 0; i < cols.Count; i++)
            weights[i] = importance is null ? 1.0 : importance.TryGetValue(cols[i].Name, out var w) && w > 0 ? w : 0.0;
        var total = weights.Sum();
        if (total <= 0) { Array.Fill(weights, 1.0); total = cols.Count; }
        double drifted = 0;
        for (var i = 0; i < cols.Count; i++) if (features[i].Drifted) drifted += weights[i];
        var share = total == 0 ? 0 : drifted / total;

        FeatureDrift? scoreDrift = null;
        if (reference.Score is { } rs && current.Scores is { } cs)
            scoreDrift = FeatureOf(rs, FeatureColumn.Numeric(ScoreFeature, cs), options);
        GradeMixDrift? gradeDrift = null;
        if (reference.GradeCounts is { } rg && current.Grades is { } cg)
            gradeDrift = GradeMix(rg, cg, options);
        MultivariateDrift? multi = null;
        if (options.Multivariate && reference.Sample.Rows >= 20 && current.Rows >= 20 && cols.Count > 0)
            multi = DomainClassifier.Run(reference.Sample, current, options);

        return new DriftReport
        {
            ReferenceRows = reference.Rows,
            CurrentRows = current.Rows,
            Features = features,
            DriftedImportanceShare = share,
            DatasetDriftShare = options.DatasetDriftShare,
            DatasetDrift = cols.Count > 0 && share >= options.DatasetDriftShare,
            ScoreDrift = scoreDrift,
            GradeMixDrift = gradeDrift,
            Multivariate = multi,
        };
    }

    /// <summary>Compares two samples (prepares the reference on the way).</summary>
    public static DriftReport Compare(DriftSample reference, DriftSample current, DriftOptions? options = null, IReadOnlyDictionary<string, double>? importance = null)
        => Compare(ReferenceProfile.Build(reference), current, options, importance);

    /// <summary>
    /// The test the size-aware rule picks for a feature (Evidently's default stattest): up to
    /// <see cref="DriftOptions.SmallReferenceMaxRows"/> reference values, KS for numeric features with more than
    /// <see cref="DriftOptions.NumericMinUniqueValues"/> distinct values (reference and current together), else
    /// chi-squared, or the z-test for at most two values; above it, Wasserstein for such numeric features and
    /// Jensen-Shannon for the rest. <paramref name="referenceRows"/> counts the non-missing reference values.
    /// </summary>
    public static DriftTest ChooseTest(FeatureKind kind, int referenceRows, int uniqueValues, DriftOptions? options = null)
    {
        options ??= DriftOptions.Default;
        var continuous = kind == FeatureKind.Numeric && uniqueValues > options.NumericMinUniqueValues;
        if (referenceRows <= options.SmallReferenceMaxRows)
            return continuous ? DriftTest.KolmogorovSmirnov : uniqueValues > 2 ? DriftTest.ChiSquared : DriftTest.ZTest;
        return continuous ? DriftTest.Wasserstein : DriftTest.JensenShannon;
    }

    // ---------------------------------------------------------------- one feature

    private static FeatureDrift FeatureOf(ReferenceColumn r, FeatureColumn current, DriftOptions options)
    {
        if (current.Kind != r.Kind)
            throw new ArgumentException($"Feature {r.Name} is {r.Kind} in the reference but {current.Kind} in the current sample.");
        using var cur = CurrentValues.Of(r, current);
        var refSide = new SideSummary(r.Rows, r.Missing, r.Mean, r.StdDev);
        var curSide = new SideSummary(current.Count, cur.Missing, cur.Mean, cur.StdDev);
        if (r.Present == 0 || cur.Present == 0)
        {
            var what = r.Present == 0 ? "the reference" : "the current window";
            return new FeatureDrift
            {
                Feature = r.Name, Kind = r.Kind, Test = DriftTest.Psi, Statistic = double.NaN, Threshold = double.NaN, Drifted = false,
                Psi = double.NaN, PsiDrifted = false, Reference = refSide, Current = curSide,
                Explanation = $"{r.Name}: no values in {what}, not compared.",
            };
        }

        var unique = cur.UnionDistinct;
        var test = ChooseTest(r.Kind, r.Present, unique, options);
        double statistic; double? p = null; double threshold; bool drifted;
        switch (test)
        {
            case DriftTest.KolmogorovSmirnov:
            {
                var (d, pv) = DriftStatistics.KolmogorovSmirnov(r.Sorted, cur.Sorted);
                statistic = d; p = pv; threshold = options.PValueThreshold; drifted = pv <= threshold; // Evidently: p <= threshold
                break;
            }
            case DriftTest.ChiSquared:
            {
                var (rc, cc) = cur.CountsOverUnion();
                if (options.MinExpectedCount > 0) (rc, cc) = Pool(rc, cc, options.MinExpectedCount);
                var (s, pv) = rc.Length < 2 ? (0.0, 1.0) : DriftStatistics.ChiSquared(rc, cc);
                statistic = s; p = pv; threshold = options.PValueThreshold; drifted = pv < threshold;
                break;
            }
            case DriftTest.ZTest:
            {
                var (rOnes, cOnes) = cur.OnesBesideSmallest();
                var (z, pv) = DriftStatistics.ZTest(rOnes, r.Present, cOnes, cur.Present);
                // The rarer value's expected count in the current window (from the pooled share, as the z-test's variance).
                var pooled = (double)(rOnes + cOnes) / (r.Present + cur.Present);
                if (options.MinExpectedCount > 0 && Math.Min(pooled, 1 - pooled) * cur.Present < options.MinExpectedCount) (z, pv) = (0, 1);
                statistic = z; p = pv; threshold = options.PValueThreshold; drifted = pv < threshold;
                break;
            }
            case DriftTest.Wasserstein:
                statistic = DriftStatistics.Wasserstein(r.Sorted, cur.Sorted) / Math.Max(r.StdDev ?? 0, 0.001);
                threshold = options.WassersteinThreshold; drifted = statistic >= threshold;
                break;
            default:
            {
                var (rs, cs) = BinnedShares(r, cur, fillZeros: false);
                statistic = DriftStatistics.JensenShannon(rs, cs);
                threshold = options.JensenShannonThreshold; drifted = statistic >= threshold;
                break;
            }
        }
        var (rp, cp) = BinnedShares(r, cur, fillZeros: true);
        var psi = DriftStatistics.Psi(rp, cp);

        string? topCat = null; double? topRef = null, topCur = null;
        if (r.Kind == FeatureKind.Categorical || test is DriftTest.ChiSquared or DriftTest.ZTest or DriftTest.JensenShannon)
        {
            (topCat, topRef, topCur) = cur.TopMovedValue();
        }
        var stat = StatisticText(test, statistic, p);
        var explanation = topCat is not null
            ? $"{r.Name}: share of '{topCat}' {Pct(topRef!.Value)} -> {Pct(topCur!.Value)} ({stat})"
            : $"{r.Name} moved: mean {Num(r.Mean)} -> {Num(cur.Mean)} ({stat})";
        if (!drifted) explanation = topCat is not null
            ? $"{r.Name} is stable: share of '{topCat}' {Pct(topRef!.Value)} -> {Pct(topCur!.Value)} ({stat})"
            : $"{r.Name} is stable: mean {Num(r.Mean)} -> {Num(cur.Mean)} ({stat})";
        return new FeatureDrift
        {
            Feature = r.Name, Kind = r.Kind, Test = test, Statistic = statistic, PValue = p, Threshold = threshold, Drifted = drifted,
            Psi = psi, PsiDrifted = psi >= options.PsiThreshold, Reference = refSide, Current = curSide,
            TopCategory = topCat, TopCategoryReferenceShare = topRef, TopCategoryCurrentShare = topCur, Explanation = explanation,
        };
    }

    /// <summary>The display name of a test, as in the sentences and the CLI.</summary>
    public static string TestName(DriftTest test) => test switch
    {
        DriftTest.KolmogorovSmirnov => "KS",
        DriftTest.ChiSquared => "chi-squared",
        DriftTest.ZTest => "z-test",
        DriftTest.Wasserstein => "Wasserstein",
        DriftTest.JensenShannon => "Jensen-Shannon",
        _ => "PSI",
    };

    /// <summary>The short code of a test in JSON: ks, chisquare, z, wasserstein, jensenshannon, psi (Evidently's names).</summary>
    public static string TestCode(DriftTest test) => test switch
    {
        DriftTest.KolmogorovSmirnov => "ks",
        DriftTest.ChiSquared => "chisquare",
        DriftTest.ZTest => "z",
        DriftTest.Wasserstein => "wasserstein",
        DriftTest.JensenShannon => "jensenshannon",
        _ => "psi",
    };

    private static string StatisticText(DriftTest test, double statistic, double? p) => p is { } pv
        ? $"{TestName(test)} p={(pv < 0.001 ? pv.ToString("0.0E+0", Inv) : pv.ToString("0.000", Inv))}"
        : $"{TestName(test)} {statistic.ToString("0.00", Inv)}";

    private static string Pct(double share) => (share * 100).ToString("0", Inv) + "%";

    private static string Num(double? v) => v is not { } x || double.IsNaN(x) ? "n/a"
        : Math.Abs(x) >= 1000 ? x.ToString("0", Inv) : Math.Abs(x) >= 10 ? x.ToString("0.#", Inv) : Math.Abs(x) >= 1 ? x.ToString("0.##", Inv) : x.ToString("0.###", Inv);

    private static GradeMixDrift GradeMix(IReadOnlyDictionary<string, int> reference, string?[] current, DriftOptions options)
    {
        var cur = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in current) if (g is not null) cur[g] = cur.GetValueOrDefault(g) + 1;
        var keys = reference.Keys.Union(cur.Keys).Where(k => reference.GetValueOrDefault(k) + cur.GetValueOrDefault(k) > 0).Order(StringComparer.Ordinal).ToArray();
        var rc = keys.Select(k => (double)reference.GetValueOrDefault(k)).ToArray();
        var cc = keys.Select(k => (double)cur.GetValueOrDefault(k)).ToArray();
        double stat = double.NaN, p = 1;
        if (keys.Length >= 2 && rc.Sum() > 0 && cc.Sum() > 0) (stat, p) = DriftStatistics.ChiSquaredContingency(rc, cc);
        var drifted = p < options.PValueThreshold;
        var rTotal = Math.Max(1, rc.Sum()); var cTotal = Math.Max(1, cc.Sum());
        var moved = keys.Length == 0 ? null : keys.MaxBy(k => Math.Abs(reference.GetValueOrDefault(k) / rTotal - cur.GetValueOrDefault(k) / cTotal));
        var sentence = moved is null ? "No grades to compare."
            : $"Grade mix {(drifted ? "moved" : "is stable")}: share of {moved} {Pct(reference.GetValueOrDefault(moved) / rTotal)} -> {Pct(cur.GetValueOrDefault(moved) / cTotal)} (chi-squared p={p.ToString("0.000", Inv)})";
        return new GradeMixDrift(reference, cur, stat, p, options.PValueThreshold, drifted, sentence);
    }

    // ---------------------------------------------------------------- binning (Evidently's get_binned_data)

    /// <summary>
    /// The shares PSI and Jensen-Shannon compare (Evidently's get_binned_data): sturges bins over both samples for a
    /// numeric feature with more than 20 distinct reference values, else one bin per value seen on either side;
    /// <paramref name="fillZeros"/> applies Evidently's small-value handling (for PSI).
    /// </summary>
    public static (double[] Reference, double[] Current) Binned(ReferenceProfile reference, int featureIndex, FeatureColumn current, bool fillZeros)
    {
        var r = reference.Columns[featureIndex];
        using var cur = CurrentValues.Of(r, current);
        return BinnedShares(r, cur, fillZeros);
    }

    private static (double[], double[]) BinnedShares(ReferenceColumn r, CurrentValues cur, bool fillZeros)
    {
        double[] rs, cs;
        if (r.Kind == FeatureKind.Numeric && r.Distinct > 20)
        {
            var min = Math.Min(r.Sorted[0], cur.Sorted[0]);
            var max = Math.Max(r.Sorted[^1], cur.Sorted[^1]);
            var edges = DriftStatistics.SturgesEdges(min, max, (long)r.Present + cur.Present);
            rs = new double[edges.Length - 1]; cs = new double[edges.Length - 1];
            DriftStatistics.Histogram(r.Sorted, edges, rs);
            DriftStatistics.Histogram(cur.Sorted, edges, cs);
        }
        else (rs, cs) = cur.CountsOverUnion();
        for (var k = 0; k < rs.Length; k++) { rs[k] /= r.Present; cs[k] /= cur.Present; }
        if (fillZeros) { DriftStatistics.FillZeros(rs); DriftStatistics.FillZeros(cs); }
        return (rs, cs);
    }

    /// <summary>
    /// Pools the values whose expected current count (reference share x current rows) is below <paramref name="min"/> into
    /// one bin, kept only when it expects at least <paramref name="min"/> itself (else it joins the smallest remaining bin).
    /// </summary>
    internal static (double[] Reference, double[] Current) Pool(double[] rc, double[] cc, double min)
    {
        double rn = rc.Sum(), cn = cc.Sum();
        if (rn <= 0 || cn <= 0) return (rc, cc);
        var r = new List<double>(); var c = new List<double>();
        double poolR = 0, poolC = 0;
        for (var k = 0; k < rc.Length; k++)
        {
            if (rc[k] / rn * cn < min) { poolR += rc[k]; poolC += cc[k]; continue; }
            r.Add(rc[k]); c.Add(cc[k]);
        }
        if (poolR + poolC > 0)
        {
            if (poolR / rn * cn >= min || r.Count == 0) { r.Add(poolR); c.Add(poolC); }
            else
            {
                var smallest = r.IndexOf(r.Min());
                r[smallest] += poolR; c[smallest] += poolC;
            }
        }
        return (r.ToArray(), c.ToArray());
    }

    // ---------------------------------------------------------------- the current side of one feature

    /// <summary>
    /// One feature of the current window, prepared for the tests: numeric values without missing, sorted (in a pooled
    /// buffer), or categories as counts over the reference's codes plus new ones.
    /// </summary>
    private sealed class CurrentValues : IDisposable
    {
        private readonly ReferenceColumn _r;
        private double[]? _buffer;
        public int Present { get; private init; }
        public int Missing { get; private init; }
        public double? Mean { get; private init; }
        public double? StdDev { get; private init; }
        public ReadOnlySpan<double> Sorted => _buffer.AsSpan(0, Present);
        // categorical: counts per reference code, then new categories
        private int[]? _catCounts;
        private List<string>? _newNames;
        public int UnionDistinct { get; private set; }

        private CurrentValues(ReferenceColumn r) { _r = r; }

        public static CurrentValues Of(ReferenceColumn r, FeatureColumn c)
        {
            if (r.Kind == FeatureKind.Numeric)
            {
                var values = c.Numbers!;
                var buf = ArrayPool<double>.Shared.Rent(Math.Max(1, values.Length));
                var n = 0;
                double sum = 0;
                for (var i = 0; i < values.Length; i++)
                {
                    var v = values[i];
                    if (double.IsNaN(v) || double.IsInfinity(v)) continue;
                    buf[n++] = v; sum += v;
                }
                var span = buf.AsSpan(0, n);
                span.Sort();
                double? mean = n == 0 ? null : sum / n;
                double? sd = n == 0 ? null : DriftStatistics.PopulationStdDev(span);
                var cv = new CurrentValues(r) { _buffer = buf, Present = n, Missing = values.Length - n, Mean = mean, StdDev = sd };
                cv.UnionDistinct = UnionDistinctCount(r.Sorted, span);
                return cv;
            }
            var cats = c.Categories!;
            var counts = new int[r.Names.Length];
            List<string>? fresh = null;
            Dictionary<string, int>? freshCodes = null;
            var present = 0;
            foreach (var s in cats)
            {
                if (s is null) continue;
                present++;
                if (r.Codes.TryGetValue(s, out var code)) counts[code]++;
                else
                {
                    fresh ??= []; freshCodes ??= new Dictionary<string, int>(StringComparer.Ordinal);
                    if (!freshCodes.TryGetValue(s, out var f)) { f = fresh.Count; freshCodes[s] = f; fresh.Add(s); Array.Resize(ref counts, counts.Length + 1); }
                    counts[r.Names.Length + f]++;
                }
            }
            var union = 0;
            for (var k = 0; k < counts.Length; k++) if (counts[k] > 0 || (k < r.Names.Length && r.Counts[k] > 0)) union++;
            return new CurrentValues(r) { _catCounts = counts, _newNames = fresh, Present = present, Missing = cats.Length - present, UnionDistinct = union };
        }

        private static int UnionDistinctCount(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
        {
            int i = 0, j = 0, count = 0;
            while (i < a.Length || j < b.Length)
            {
                var v = j >= b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
                count++;
                while (i < a.Length && a[i] == v) i++;
                while (j < b.Length && b[j] == v) j++;
            }
            return count;
        }

        /// <summary>Counts over the values seen on either side, in ascending value (numeric) or code order (categories).</summary>
        public (double[] Reference, double[] Current) CountsOverUnion()
        {
            if (_r.Kind == FeatureKind.Categorical)
            {
                var rc = new List<double>(); var cc = new List<double>();
                for (var k = 0; k < _catCounts!.Length; k++)
                {
                    var rk = k < _r.Counts.Length ? _r.Counts[k] : 0;
                    if (rk == 0 && _catCounts[k] == 0) continue;
                    rc.Add(rk); cc.Add(_catCounts[k]);
                }
                return (rc.ToArray(), cc.ToArray());
            }
            ReadOnlySpan<double> rv = _r.Sorted, cv = Sorted;
            var rOut = new List<double>(); var cOut = new List<double>();
            int i = 0, j = 0;
            while (i < rv.Length || j < cv.Length)
            {
                var v = j >= cv.Length || (i < rv.Length && rv[i] <= cv[j]) ? rv[i] : cv[j];
                int ri = i, cj = j;
                while (i < rv.Length && rv[i] == v) i++;
                while (j < cv.Length && cv[j] == v) j++;
                rOut.Add(i - ri); cOut.Add(j - cj);
            }
            return (rOut.ToArray(), cOut.ToArray());
        }

        /// <summary>For the z-test: rows not equal to the smallest value (ordinal order for categories), per side.</summary>
        public (long Reference, long Current) OnesBesideSmallest()
        {
            if (_r.Kind == FeatureKind.Numeric)
            {
                var rv = _r.Sorted; var cv = Sorted;
                var smallest = Math.Min(rv[0], cv[0]);
                return (rv.Length - DriftStatistics.UpperBound(rv, smallest), cv.Length - DriftStatistics.UpperBound(cv, smallest));
            }
            string? min = null; var minCode = -1;
            for (var k = 0; k < _catCounts!.Length; k++)
            {
                var rk = k < _r.Counts.Length ? _r.Counts[k] : 0;
                if (rk == 0 && _catCounts[k] == 0) continue;
                var name = NameOf(k);
                if (min is null || string.CompareOrdinal(name, min) < 0) { min = name; minCode = k; }
            }
            var rMin = minCode < _r.Counts.Length ? _r.Counts[minCode] : 0;
            return (_r.Present - rMin, Present - _catCounts[minCode]);
        }

        private string NameOf(int code) => code < _r.Names.Length ? _r.Names[code] : _newNames![code - _r.Names.Length];

        /// <summary>The value whose share moved most between the sides, with both shares.</summary>
        public (string Value, double Reference, double Current) TopMovedValue()
        {
            if (_r.Kind == FeatureKind.Categorical)
            {
                var best = -1; var bestMove = -1.0;
                for (var k = 0; k < _catCounts!.Length; k++)
                {
                    var rs = (k < _r.Counts.Length ? _r.Counts[k] : 0) / (double)Math.Max(1, _r.Present);
                    var cs = _catCounts[k] / (double)Math.Max(1, Present);
                    var move = Math.Abs(rs - cs);
                    if (move > bestMove) { bestMove = move; best = k; }
                }
                return (NameOf(best), (best < _r.Counts.Length ? _r.Counts[best] : 0) / (double)Math.Max(1, _r.Present), _catCounts[best] / (double)Math.Max(1, Present));
            }
            ReadOnlySpan<double> rv = _r.Sorted, cv = Sorted;
            double bestV = double.NaN, bestR = 0, bestC = 0, bestM = -1;
            int i = 0, j = 0;
            while (i < rv.Length || j < cv.Length)
            {
                var v = j >= cv.Length || (i < rv.Length && rv[i] <= cv[j]) ? rv[i] : cv[j];
                int ri = i, cj = j;
                while (i < rv.Length && rv[i] == v) i++;
                while (j < cv.Length && cv[j] == v) j++;
                var rs = (i - ri) / (double)rv.Length; var cs = (j - cj) / (double)cv.Length;
                if (Math.Abs(rs - cs) > bestM) { bestM = Math.Abs(rs - cs); bestV = v; bestR = rs; bestC = cs; }
            }
            return (bestV.ToString("G6", Inv), bestR, bestC);
        }

        public void Dispose()
        {
            if (_buffer is not null) ArrayPool<double>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}

/// <summary>One reference feature prepared once.</summary>
internal sealed class ReferenceColumn
{
    public required string Name { get; init; }
    public required FeatureKind Kind { get; init; }
    public required int Rows { get; init; }
    public required int Missing { get; init; }
    public int Present => Rows - Missing;
    /// <summary>Numeric: the non-missing values, ascending.</summary>
    public double[] Sorted { get; init; } = [];
    /// <summary>Numeric: distinct values.</summary>
    public int Distinct { get; init; }
    public double? Mean { get; init; }
    public double? StdDev { get; init; }
    /// <summary>Categorical: code per category, names by code, counts by code.</summary>
    public Dictionary<string, int> Codes { get; init; } = new(StringComparer.Ordinal);
    public string[] Names { get; init; } = [];
    public int[] Counts { get; init; } = [];

    public static ReferenceColumn Of(FeatureColumn c)
    {
        if (c.Kind == FeatureKind.Numeric)
        {
            var present = c.Numbers!.Where(v => !double.IsNaN(v) && !double.IsInfinity(v)).ToArray();
            Array.Sort(present);
            var distinct = 0;
            for (var i = 0; i < present.Length; i++) if (i == 0 || present[i] != present[i - 1]) distinct++;
            return new ReferenceColumn
            {
                Name = c.Name, Kind = c.Kind, Rows = c.Count, Missing = c.Count - present.Length, Sorted = present, Distinct = distinct,
                Mean = present.Length == 0 ? null : present.Average(),
                StdDev = present.Length == 0 ? null : DriftStatistics.PopulationStdDev(present),
            };
        }
        var codes = new Dictionary<string, int>(StringComparer.Ordinal);
        var counts = new List<int>();
        var names = new List<string>();
        var missing = 0;
        foreach (var s in c.Categories!)
        {
            if (s is null) { missing++; continue; }
            if (!codes.TryGetValue(s, out var code)) { code = names.Count; codes[s] = code; names.Add(s); counts.Add(0); }
            counts[code]++;
        }
        return new ReferenceColumn { Name = c.Name, Kind = c.Kind, Rows = c.Count, Missing = missing, Codes = codes, Names = [.. names], Counts = [.. counts], Distinct = names.Count };
    }
}

/// <summary>The reference side prepared once: numeric columns sorted, categories counted. Immutable; safe to share across threads.</summary>
public sealed class ReferenceProfile
{
    private ReferenceProfile(DriftSample sample, IReadOnlyList<ReferenceColumn> columns, ReferenceColumn? score, IReadOnlyDictionary<string, int>? grades)
    {
        Sample = sample; Columns = columns; Score = score; GradeCounts = grades;
    }

    public static ReferenceProfile Build(DriftSample reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var dup = reference.Columns.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"Feature {dup.Key} appears twice in the reference.", nameof(reference));
        if (reference.Columns.Select(c => c.Count).Distinct().Count() > 1) throw new ArgumentException("Reference columns differ in length.", nameof(reference));
        var cols = new ReferenceColumn[reference.Columns.Count];
        Parallel.For(0, cols.Length, i => cols[i] = ReferenceColumn.Of(reference.Columns[i]));
        var score = reference.Scores is { } s ? ReferenceColumn.Of(FeatureColumn.Numeric(DriftEngine.ScoreFeature, s)) : null;
        Dictionary<string, int>? grades = null;
        if (reference.Grades is { } g)
        {
            grades = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var x in g) if (x is not null) grades[x] = grades.GetValueOrDefault(x) + 1;
        }
        return new ReferenceProfile(reference, cols, score, grades);
    }

    /// <summary>The reference sample itself (the domain classifier and the report's distributions need rows).</summary>
    public DriftSample Sample { get; }
    public int Rows => Sample.Rows;
    internal IReadOnlyList<ReferenceColumn> Columns { get; }
    internal ReferenceColumn? Score { get; }
    internal IReadOnlyDictionary<string, int>? GradeCounts { get; }
    /// <summary>Feature names in order.</summary>
    public IReadOnlyList<string> Features => Columns.Select(c => c.Name).ToArray();
}
