namespace LeadScore.Engine.Scoring;

/// <summary>
/// The model's SHAP explainer. By default (<see cref="ShapMethod.Auto"/>) each tree uses whichever of the
/// precomputed tables below and <see cref="LinearTreeShap"/> (exact, O(N D) per tree) <see cref="ShapCostModel"/>
/// says is cheaper for it: the tables on small shallow trees, Linear TreeSHAP on the others. The other
/// <see cref="ShapMethod"/>s are kept to compare against, in tests and benchmarks, with plain TreeSHAP
/// (<see cref="CompiledModel.TreeShapOneTree"/>).
/// <para>
/// Precomputed TreeSHAP (in the spirit of Yang, "Fast TreeSHAP", 2021, algorithm v2): path-dependent
/// SHAP values depend on a row only through which of a leaf's path features the row satisfies. For
/// every leaf with unique path features P (|P| = D) and every subset A of P, the contribution of each
/// j in P is tabulated once:
/// <c>phi_j(A) = v * (1[j in A] - z_j) * sum over S in A\{j} of |S|!(D-|S|-1)!/D! * prod over k in P\S\{j} of z_k</c>,
/// where z_k is the product of the cover ratios of the path's edges on k. Explaining a row is then one
/// walk per tree carrying the bit mask of satisfied features, and D table reads per leaf:
/// O(T L D) instead of TreeSHAP's O(T L D^2) with far fewer floating-point operations.
/// Trees with a leaf deeper than <see cref="MaxUniqueFeatures"/> unique features (or past the table
/// budget) use <see cref="LinearTreeShap"/> or plain TreeSHAP, as the method says.
/// </para>
/// </summary>
internal sealed class FastTreeShap
{
    /// <summary>Table size is D * 2^D per leaf and build time O(D 3^D): 8 keeps both small.</summary>
    public const int MaxUniqueFeatures = 8;
    /// <summary>At most this many doubles of tables in all (64 MB); later trees go without.</summary>
    public const long MaxTableDoubles = 8L << 20;

    /// <summary>Per node: the position of its split slot in the path's unique features (inner nodes).</summary>
    private readonly int[] _position;
    /// <summary>Per leaf node: number of unique path features, offset of its feature list and of its table.</summary>
    private readonly int[] _leafDepth;
    private readonly int[] _leafFeatureOffset;
    private readonly long[] _leafTableOffset;
    private readonly int[] _leafFeatures;
    private readonly double[] _table;
    private readonly bool[] _treeFast;
    /// <summary>The trees without tables (null: they use plain TreeSHAP, <see cref="ShapMethod.TablesAndPlain"/>).</summary>
    private readonly LinearTreeShap? _linear;

    private FastTreeShap(int[] position, int[] leafDepth, int[] leafFeatureOffset, long[] leafTableOffset, int[] leafFeatures, double[] table, bool[] treeFast, LinearTreeShap? linear)
    {
        _linear = linear;
        _position = position;
        _leafDepth = leafDepth;
        _leafFeatureOffset = leafFeatureOffset;
        _leafTableOffset = leafTableOffset;
        _leafFeatures = leafFeatures;
        _table = table;
        _treeFast = treeFast;
    }

    public int FastTrees => _treeFast.Count(f => f);

    /// <summary>Trees explained by <see cref="LinearTreeShap"/>.</summary>
    public int LinearTrees { get; private init; }

    /// <summary>Builds the explainer; <paramref name="method"/> other than the default is for tests and benchmarks.</summary>
    public static FastTreeShap Build(CompiledModel model, ShapMethod method = ShapMethod.Auto)
    {
        var nodes = model.Nodes;
        var position = new int[nodes.Length];
        var leafDepth = new int[nodes.Length];
        var leafFeatureOffset = new int[nodes.Length];
        var leafTableOffset = new long[nodes.Length];
        var features = new List<int>();
        var table = new List<double>();
        var treeFast = new bool[model.TreeCount];
        var weights = ShapleyWeights(MaxUniqueFeatures);

        var pathFeatures = new List<int>();
        var pathZero = new List<double>();
        for (var t = 0; t < model.TreeCount; t++)
        {
            var root = model.TreeRoots[t];
            if (method is ShapMethod.Linear or ShapMethod.Plain) continue;
            if (LinearTreeShap.MaxUnique(model, root, []) > MaxUniqueFeatures) continue;
            long needed = 0;
            CountTable(model, root, [], ref needed);
            if (table.Count + needed > MaxTableDoubles) continue;
            if (method == ShapMethod.Auto && !ShapCostModel.TablesCheaper(model, t)) continue;
            treeFast[t] = true;
            pathFeatures.Clear();
            pathZero.Clear();
            Walk(root);
        }
        LinearTreeShap? linear = null;
        var linearTrees = 0;
        if (method is ShapMethod.TablesAndLinear or ShapMethod.Linear or ShapMethod.Auto)
        {
            var rest = new bool[treeFast.Length];
            for (var t = 0; t < rest.Length; t++) rest[t] = !treeFast[t];
            linear = LinearTreeShap.Build(model, rest);
            for (var t = 0; t < rest.Length; t++) if (rest[t] && (linear.Explains(t) || CompiledModel.IsLeaf(model.Nodes, model.TreeRoots[t]))) linearTrees++;
        }
        return new FastTreeShap(position, leafDepth, leafFeatureOffset, leafTableOffset, features.ToArray(), table.ToArray(), treeFast, linear)
        {
            LinearTrees = linearTrees,
        };

        void Walk(int n)
        {
            if (CompiledModel.IsLeaf(nodes, n))
            {
                var d = pathFeatures.Count;
                leafDepth[n] = d;
                leafFeatureOffset[n] = features.Count;
                leafTableOffset[n] = table.Count;
                features.AddRange(pathFeatures);
                AddLeafTable(table, model.Values[n], pathZero, weights[d]);
                return;
            }
            var slot = model.SplitSlot(n);
            var p = pathFeatures.IndexOf(slot);
            var added = p < 0;
            if (added)
            {
                p = pathFeatures.Count;
                pathFeatures.Add(slot);
                pathZero.Add(1);
            }
            position[n] = p;
            var (zl, zr) = model.ZeroFractions(n);
            var left = nodes[n].Children;
            var before = pathZero[p];
            pathZero[p] = before * zl;
            Walk(left);
            pathZero[p] = before * zr;
            Walk(left + 1);
            pathZero[p] = before;
            if (added)
            {
                pathFeatures.RemoveAt(pathFeatures.Count - 1);
                pathZero.RemoveAt(pathZero.Count - 1);
            }
        }
    }

    /// <summary>w[D][s] = s! (D - s - 1)! / D!, the Shapley weight of a coalition of size s among D players.</summary>
    private static double[][] ShapleyWeights(int max)
    {
        var fact = new double[max + 1];
        fact[0] = 1;
        for (var i = 1; i <= max; i++) fact[i] = fact[i - 1] * i;
        var w = new double[max + 1][];
        for (var d = 0; d <= max; d++)
        {
            w[d] = new double[Math.Max(d, 1)];
            for (var s = 0; s < d; s++) w[d][s] = fact[s] * fact[d - s - 1] / fact[d];
        }
        return w;
    }

    private static void AddLeafTable(List<double> table, double v, List<double> z, double[] w)
    {
        var d = z.Count;
        var full = (1 << d) - 1;
        Span<double> zprod = stackalloc double[1 << d];
        for (var m = 0; m <= full; m++)
        {
            double prod = 1;
            for (var k = 0; k < d; k++) if ((m & (1 << k)) != 0) prod *= z[k];
            zprod[m] = prod;
        }
        for (var a = 0; a <= full; a++)
        {
            for (var j = 0; j < d; j++)
            {
                var bit = 1 << j;
                var b = a & ~bit;
                double sum = 0;
                // Every subset S of B (including the empty set).
                for (var s = b; ; s = (s - 1) & b)
                {
                    sum += w[System.Numerics.BitOperations.PopCount((uint)s)] * zprod[full & ~s & ~bit];
                    if (s == 0) break;
                }
                var one = (a & bit) != 0 ? 1.0 : 0.0;
                table.Add(v * (one - z[j]) * sum);
            }
        }
    }

    private static void CountTable(CompiledModel model, int n, List<int> path, ref long total)
    {
        if (CompiledModel.IsLeaf(model.Nodes, n)) { total += (long)path.Count << path.Count; return; }
        var slot = model.SplitSlot(n);
        var added = !path.Contains(slot);
        if (added) path.Add(slot);
        var l = model.Nodes[n].Children;
        CountTable(model, l, path, ref total);
        CountTable(model, l + 1, path, ref total);
        if (added) path.RemoveAt(path.Count - 1);
    }

    /// <summary>Adds the SHAP values of every tree to <paramref name="phi"/> (trees without tables use plain TreeSHAP).</summary>
    public void Contributions(CompiledModel model, ReadOnlySpan<float> x, Span<double> phi)
    {
        Span<int> stackNode = stackalloc int[model.MaxDepth + 2];
        Span<int> stackMask = stackalloc int[model.MaxDepth + 2];
        var scratch = _linear?.RentScratch();
        for (var t = 0; t < _treeFast.Length; t++) Tree(model, t, x, phi, stackNode, stackMask, scratch);
    }

    /// <summary>
    /// Contributions of a block of rows (row-major, slots wide), tree by tree: one tree's tables stay
    /// in cache while every row of the block reads them, instead of all trees' tables per row.
    /// </summary>
    public void ContributionsBlock(CompiledModel model, ReadOnlySpan<float> matrix, Span<double> phi, int rows)
    {
        var w = model.SlotCount;
        Span<int> stackNode = stackalloc int[model.MaxDepth + 2];
        Span<int> stackMask = stackalloc int[model.MaxDepth + 2];
        var scratch = _linear?.RentScratch();
        for (var t = 0; t < _treeFast.Length; t++)
        {
            var r = 0;
            // Linear TreeSHAP walks a tree for two rows at once (the same arithmetic per row as one at a time).
            if (scratch is not null && !_treeFast[t] && _linear!.Explains(t))
                for (; r + 1 < rows; r += 2)
                    _linear.TreePair(model, t, matrix.Slice(r * w, w), matrix.Slice((r + 1) * w, w), phi.Slice(r * w, w), phi.Slice((r + 1) * w, w), scratch);
            for (; r < rows; r++)
                Tree(model, t, matrix.Slice(r * w, w), phi.Slice(r * w, w), stackNode, stackMask, scratch);
        }
    }

    /// <summary>Whether tree <paramref name="tree"/> is explained by the precomputed tables (else Linear TreeSHAP or plain TreeSHAP).</summary>
    public bool UsesTables(int tree) => _treeFast[tree];

    /// <summary>One tree's contributions over a block of rows, by this explainer's method for it (benchmarks time trees one by one).</summary>
    internal void TreeBlock(CompiledModel model, int tree, ReadOnlySpan<float> matrix, Span<double> phi, int rows)
    {
        var w = model.SlotCount;
        Span<int> stackNode = stackalloc int[model.MaxDepth + 2];
        Span<int> stackMask = stackalloc int[model.MaxDepth + 2];
        var scratch = _linear?.RentScratch();
        var r = 0;
        if (scratch is not null && !_treeFast[tree] && _linear!.Explains(tree))
            for (; r + 1 < rows; r += 2)
                _linear.TreePair(model, tree, matrix.Slice(r * w, w), matrix.Slice((r + 1) * w, w), phi.Slice(r * w, w), phi.Slice((r + 1) * w, w), scratch);
        for (; r < rows; r++)
            Tree(model, tree, matrix.Slice(r * w, w), phi.Slice(r * w, w), stackNode, stackMask, scratch);
    }

    private void Tree(CompiledModel model, int t, ReadOnlySpan<float> x, Span<double> phi, Span<int> stackNode, Span<int> stackMask, LinearTreeShap.Scratch? scratch)
    {
        if (!_treeFast[t])
        {
            if (scratch is not null && _linear!.Explains(t)) _linear.Tree(model, t, x, phi, scratch);
            else model.TreeShapOneTree(t, x, phi);
            return;
        }
        var nodes = model.Nodes;
        var table = _table;
        var feats = _leafFeatures;
        // Depth-first walk with an explicit stack of (node, mask of satisfied path features).
        var top = 0;
        stackNode[0] = model.TreeRoots[t];
        stackMask[0] = -1;
        while (top >= 0)
        {
            var n = stackNode[top];
            var mask = stackMask[top];
            top--;
            if (CompiledModel.IsLeaf(nodes, n))
            {
                var d = _leafDepth[n];
                var a = mask & ((1 << d) - 1);
                var row = _leafTableOffset[n] + (long)a * d;
                var f = _leafFeatureOffset[n];
                for (var j = 0; j < d; j++) phi[feats[f + j]] += table[row + j];
                continue;
            }
            var hot = model.Next(n, x);
            var left = nodes[n].Children;
            var cold = hot == left ? left + 1 : left;
            stackNode[++top] = cold;
            stackMask[top] = mask & ~(1 << _position[n]);
            stackNode[++top] = hot;
            stackMask[top] = mask;
        }
    }
}

/// <summary>
/// How <see cref="FastTreeShap"/> explains each tree. All are exact. The default, <see cref="Auto"/>, picks per tree
/// by <see cref="ShapCostModel"/>: the tables where they fit and cost less, Linear TreeSHAP elsewhere. A single
/// row and a block of rows use the same method for a tree, so they give the same contributions, bit for bit.
/// </summary>
internal enum ShapMethod
{
    /// <summary>Per tree, the cheaper of the tables and Linear TreeSHAP by <see cref="ShapCostModel"/> (the default).</summary>
    Auto,
    /// <summary>Linear TreeSHAP on every tree (the default until the per-tree choice).</summary>
    Linear,
    /// <summary>Tables where they fit, plain TreeSHAP elsewhere (the algorithm before Linear TreeSHAP, for comparison).</summary>
    TablesAndPlain,
    /// <summary>Precomputed tables where they fit, Linear TreeSHAP elsewhere.</summary>
    TablesAndLinear,
    /// <summary>Plain TreeSHAP on every tree.</summary>
    Plain,
}
