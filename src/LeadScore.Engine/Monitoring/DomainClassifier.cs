using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Metrics;

namespace LeadScore.Engine.Monitoring;

/// <summary>
/// Multivariate drift as NannyML's domain classifier does it: a boosted-tree classifier learns to tell reference rows
/// (0) from current rows (1); its stratified cross-validated AUC is the drift measure (0.5 = indistinguishable), drifted
/// above <see cref="DriftOptions.MultivariateAucThreshold"/> (NannyML's default upper threshold, 0.65). Seeded; the
/// features whose splits gained most are reported. The classifier is a small histogram gradient-boosting model
/// written here (depth 3, learning rate 0.1, 32 bins per feature), not LightGBM: it is pure and fast enough per window.
/// </summary>
public static class DomainClassifier
{
    private const int MaxBins = 32, Depth = 3, MinLeaf = 10;
    /// <summary>Features per pass of a histogram fill: 16 x 32 bins x 20 bytes, 10 KB of histograms.</summary>
    private const int FillBlock = 16;
    private const double LearningRate = 0.1, Lambda = 1.0;

    public static MultivariateDrift Run(DriftSample reference, DriftSample current, DriftOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        options ??= DriftOptions.Default;
        var rng = new Random(options.Seed);
        var refRows = RowSample.Sorted(reference.Rows, options.MultivariateMaxRowsPerSide, rng);
        var curRows = RowSample.Sorted(current.Rows, options.MultivariateMaxRowsPerSide, rng);
        var names = reference.Columns.Select(c => c.Name).ToArray();
        var curByName = current.Columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var n = refRows.Length + curRows.Length;
        var f = names.Length;
        // Binned matrix, feature-major: bins[f][row].
        var bins = new byte[f][];
        var nbins = new int[f];
        Parallel.For(0, f, j =>
        {
            var rc = reference.Columns[j];
            var cc = curByName[rc.Name];
            (bins[j], nbins[j]) = BinFeature(rc, cc, refRows, curRows);
        });
        // Row-major for training: a row's bins side by side, so one pass over a node's rows fills every feature's histogram.
        var rowBins = new byte[n * f];
        for (var j = 0; j < f; j++)
        {
            var col = bins[j];
            for (var i = 0; i < n; i++) rowBins[i * f + j] = col[i];
        }
        var y = new bool[n];
        for (var i = refRows.Length; i < n; i++) y[i] = true;

        // Stratified folds, seeded.
        var folds = Math.Max(2, options.MultivariateFolds);
        var fold = new int[n];
        AssignFolds(fold, 0, refRows.Length, folds, rng);
        AssignFolds(fold, refRows.Length, n, folds, rng);

        // The folds train in parallel (each on its own arrays); the split gains are added up afterwards in fold order, as
        // one sequential run would, so the result does not depend on the scheduling.
        var oof = new double[n];
        var gains = new List<(int Feature, double Gain)>[folds];
        Parallel.For(0, folds, k =>
        {
            var train = Enumerable.Range(0, n).Where(i => fold[i] != k).ToArray();
            var test = Enumerable.Range(0, n).Where(i => fold[i] == k).ToArray();
            gains[k] = [];
            var model = Fit(rowBins, f, nbins, y, train, options.MultivariateTrees, gains[k]);
            foreach (var i in test) oof[i] = model.Predict(rowBins, f, i);
        });
        var gain = new double[f];
        foreach (var list in gains) foreach (var (j, g) in list) gain[j] += g;
        var auc = Ranking.Auc(oof, y);
        if (double.IsNaN(auc)) auc = 0.5;
        var totalGain = gain.Sum();
        var top = Enumerable.Range(0, f).Where(j => gain[j] > 0).OrderByDescending(j => gain[j]).Take(options.TopFeatures)
            .Select(j => new FeatureWeight(names[j], gain[j] / totalGain)).ToArray();
        var drifted = auc > options.MultivariateAucThreshold;
        var inv = CultureInfo.InvariantCulture;
        var sentence = drifted
            ? $"A classifier tells current rows from reference rows with AUC {auc.ToString("0.00", inv)} (above {options.MultivariateAucThreshold.ToString("0.00", inv)}): the data as a whole moved, most visibly in {string.Join(", ", top.Select(t => t.Feature))}."
            : $"A classifier cannot tell current rows from reference rows (AUC {auc.ToString("0.00", inv)}, drift above {options.MultivariateAucThreshold.ToString("0.00", inv)}).";
        return new MultivariateDrift(auc, options.MultivariateAucThreshold, drifted, refRows.Length, curRows.Length, top, sentence);
    }

    private static void AssignFolds(int[] fold, int from, int to, int folds, Random rng)
    {
        var idx = Enumerable.Range(from, to - from).ToArray();
        rng.Shuffle(idx);
        for (var i = 0; i < idx.Length; i++) fold[idx[i]] = i % folds;
    }

    /// <summary>Bins one feature over both sides: numeric by quantiles of the pooled values (bin 0 = missing), categories by code (the most frequent 31).</summary>
    private static (byte[], int) BinFeature(FeatureColumn rc, FeatureColumn cc, int[] refRows, int[] curRows)
    {
        var n = refRows.Length + curRows.Length;
        var result = new byte[n];
        if (rc.Kind == FeatureKind.Numeric)
        {
            double Get(int i) => i < refRows.Length ? rc.Numbers![refRows[i]] : cc.Numbers![curRows[i - refRows.Length]];
            var present = new List<double>(n);
            for (var i = 0; i < n; i++) { var v = Get(i); if (!double.IsNaN(v)) present.Add(v); }
            present.Sort();
            var cuts = new List<double>();
            for (var b = 1; b < MaxBins - 1 && present.Count > 0; b++)
            {
                var c = present[(int)((long)b * present.Count / (MaxBins - 1))];
                if (cuts.Count == 0 || c > cuts[^1]) cuts.Add(c);
            }
            var cutArr = cuts.ToArray();
            for (var i = 0; i < n; i++)
            {
                var v = Get(i);
                if (double.IsNaN(v)) { result[i] = 0; continue; }
                var pos = Array.BinarySearch(cutArr, v);
                result[i] = (byte)(1 + (pos >= 0 ? pos + 1 : ~pos));
            }
            return (result, cutArr.Length + 2);
        }
        string? GetC(int i) => i < refRows.Length ? rc.Categories![refRows[i]] : cc.Categories![curRows[i - refRows.Length]];
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++) if (GetC(i) is { } s) counts[s] = counts.GetValueOrDefault(s) + 1;
        var codes = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(MaxBins - 2)
            .Select((kv, k) => (kv.Key, k)).ToDictionary(t => t.Key, t => (byte)(t.k + 2), StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
            result[i] = GetC(i) is not { } s ? (byte)0 : codes.TryGetValue(s, out var c) ? c : (byte)1;
        return (result, codes.Count + 2);
    }

    private sealed class Tree
    {
        // Complete binary tree of depth Depth; internal node k has children 2k+1, 2k+2. Feature -1 = leaf.
        public readonly int[] Feature = new int[(1 << (Depth + 1)) - 1];
        public readonly int[] Threshold = new int[(1 << (Depth + 1)) - 1];
        public readonly double[] Value = new double[(1 << (Depth + 1)) - 1];

        public double Eval(byte[] rowBins, int features, int row)
        {
            var k = 0;
            var o = row * features;
            while (Feature[k] >= 0) k = rowBins[o + Feature[k]] <= Threshold[k] ? 2 * k + 1 : 2 * k + 2;
            return Value[k];
        }
    }

    private sealed class Model(double bias, List<Tree> trees)
    {
        public double Predict(byte[] rowBins, int features, int row)
        {
            var s = bias;
            foreach (var t in trees) s += t.Eval(rowBins, features, row);
            return 1 / (1 + Math.Exp(-s));
        }
    }

    /// <summary>
    /// Boosts <paramref name="trees"/> depth-limited trees on the training rows. A node's histograms (gradient, hessian and
    /// count per feature and bin) are filled in one pass over the rows of the smaller of two siblings, the other's by
    /// subtraction from their parent's; the best split per
    /// feature is the first bin of the highest gain, the node's split the first feature of the highest gain. Each split's
    /// (feature, gain) is appended to <paramref name="gainOut"/> in order.
    /// </summary>
    private static Model Fit(byte[] rowBins, int f, int[] nbins, bool[] y, int[] train, int trees, List<(int Feature, double Gain)> gainOut)
    {
        var pos = train.Count(i => y[i]);
        var prior = Math.Clamp((double)pos / train.Length, 1e-6, 1 - 1e-6);
        var bias = Math.Log(prior / (1 - prior));
        var score = new double[y.Length];
        Array.Fill(score, bias);
        var g = new double[y.Length]; var h = new double[y.Length];
        var list = new List<Tree>();
        // Histograms of the nodes that split (depth < Depth): gradient, hessian and count per feature and bin.
        var nodes = (1 << Depth) - 1;
        var hg = new double[nodes][]; var hh = new double[nodes][]; var hc = new int[nodes][];
        for (var k = 0; k < nodes; k++) { hg[k] = new double[f * MaxBins]; hh[k] = new double[f * MaxBins]; hc[k] = new int[f * MaxBins]; }
        void Fill(int k, int[] rows)
        {
            double[] sg = hg[k], sh = hh[k]; var sc = hc[k];
            Array.Clear(sg); Array.Clear(sh); Array.Clear(sc);
            // Features in blocks whose histograms stay in the L1 cache; each bin is still summed in row order.
            for (var j0 = 0; j0 < f; j0 += FillBlock)
            {
                var j1 = Math.Min(f, j0 + FillBlock);
                foreach (var i in rows)
                {
                    var gi = g[i]; var hi = h[i];
                    var o = i * f;
                    for (var j = j0; j < j1; j++)
                    {
                        var b = j * MaxBins + rowBins[o + j];
                        sg[b] += gi; sh[b] += hi; sc[b]++;
                    }
                }
            }
        }
        void Subtract(int k, int parent, int sibling)
        {
            for (var b = 0; b < hg[k].Length; b++)
            {
                hg[k][b] = hg[parent][b] - hg[sibling][b]; hh[k][b] = hh[parent][b] - hh[sibling][b]; hc[k][b] = hc[parent][b] - hc[sibling][b];
            }
        }
        for (var t = 0; t < trees; t++)
        {
            foreach (var i in train)
            {
                var p = 1 / (1 + Math.Exp(-score[i]));
                g[i] = p - (y[i] ? 1 : 0); h[i] = Math.Max(p * (1 - p), 1e-12);
            }
            var tree = new Tree();
            Array.Fill(tree.Feature, -1);
            var nodeRows = new int[tree.Feature.Length][];
            nodeRows[0] = train;
            Fill(0, train);
            for (var k = 0; k < tree.Feature.Length; k++)
            {
                var rows = nodeRows[k];
                if (rows is null) continue;
                double G = 0, H = 0;
                foreach (var i in rows) { G += g[i]; H += h[i]; }
                tree.Value[k] = -G / (H + Lambda) * LearningRate;
                var depth = (int)Math.Log2(k + 1);
                if (depth >= Depth || rows.Length < 2 * MinLeaf) continue;
                var parent = G * G / (H + Lambda);
                // The node's histogram was filled when its parent split (the root's above): one pass over the smaller
                // child's rows, the larger child's as the parent's minus it (LightGBM's histogram subtraction).
                double[] ng = hg[k], nh = hh[k]; var nc = hc[k];
                var bj = -1; var bg = 1e-9; var bt = -1;
                for (var j = 0; j < f; j++)
                {
                    var o = j * MaxBins;
                    double gl = 0, hl = 0; var cl = 0; var best = 0.0; var thr = -1;
                    for (var b = 0; b < nbins[j] - 1; b++)
                    {
                        gl += ng[o + b]; hl += nh[o + b]; cl += nc[o + b];
                        if (cl < MinLeaf || rows.Length - cl < MinLeaf) continue;
                        var gr = G - gl; var hr = H - hl;
                        var gain = gl * gl / (hl + Lambda) + gr * gr / (hr + Lambda) - parent;
                        if (gain > best) { best = gain; thr = b; }
                    }
                    if (best > bg) { bg = best; bj = j; bt = thr; }
                }
                if (bj < 0) continue;
                tree.Feature[k] = bj; tree.Threshold[k] = bt;
                gainOut.Add((bj, bg));
                int left = 2 * k + 1, right = 2 * k + 2;
                nodeRows[left] = rows.Where(i => rowBins[i * f + bj] <= bt).ToArray();
                nodeRows[right] = rows.Where(i => rowBins[i * f + bj] > bt).ToArray();
                if (depth + 1 < Depth)
                {
                    var (small, large) = nodeRows[left].Length <= nodeRows[right].Length ? (left, right) : (right, left);
                    Fill(small, nodeRows[small]);
                    Subtract(large, k, small);
                }
            }
            foreach (var i in train) score[i] += tree.Eval(rowBins, f, i);
            list.Add(tree);
        }
        return new Model(bias, list);
    }
}
