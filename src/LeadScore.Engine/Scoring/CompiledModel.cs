using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LeadScore.Engine.Scoring;

/// <summary>What a <see cref="CompiledModel"/> evaluates.</summary>
public enum CompiledModelKind
{
    /// <summary>A sum of regression trees (LightGBM, FastTree, FastForest).</summary>
    Trees,
    /// <summary>A linear model: bias + weights · slots (logistic regression).</summary>
    Linear,
}

/// <summary>The probability map ML.NET put after the raw score, kept only to prove equality with ML.NET.</summary>
public enum MlNetCalibratorKind
{
    /// <summary>No ML.NET calibrator (e.g. FastForest): ML.NET gives no probability.</summary>
    None,
    /// <summary>ML.NET's Platt calibrator: p = 1 / (1 + exp(Slope * score + Offset)).</summary>
    Platt,
}

/// <summary>
/// A trained ML.NET binary classifier exported to flat arrays and evaluated without ML.NET.
/// Immutable and thread-safe. Trees follow ML.NET's rules exactly: go left when
/// <c>value &lt;= threshold</c>; a NaN is first replaced by the node's LightGBM default (when the
/// trainer kept one) and otherwise goes right; a categorical split goes right when any slot of
/// its set is &gt; 0; tree outputs are summed in double, tree by tree, and the sum is cast to float
/// (ML.NET's "Score" column). Node covers (training rows per node) are recomputed from the
/// training matrix and stored for TreeSHAP.
/// </summary>
public sealed partial class CompiledModel
{
    /// <summary>
    /// One node of a tree. Children are stored side by side (right = left + 1) so a step is
    /// <c>node = Children + (goRight ? 1 : 0)</c> with no branch. A leaf is a node that loops on itself:
    /// its threshold is NaN (every comparison goes right) and <see cref="Children"/> is its own index - 1.
    /// A categorical split has <see cref="Feature"/> = -1 - (index into the categorical sets).
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Node
    {
        public int Feature;
        public float Threshold;
        public int Children;
        /// <summary>Replaces NaN before the comparison (LightGBM); NaN when the trainer kept none.</summary>
        public float MissingDefault;
    }

    internal CompiledModel(
        CompiledModelKind kind, int slotCount,
        Node[] nodes, double[] values, double[] cover, int[] treeRoots, int[] treeDepths,
        int[] categoricalStarts, int[] categoricalSlots,
        double[] weights, double bias, double[] slotMeans,
        MlNetCalibratorKind mlNetCalibrator, double mlNetSlope, double mlNetOffset, string algorithm)
    {
        Kind = kind;
        SlotCount = slotCount;
        Nodes = nodes;
        Values = values;
        Cover = cover;
        TreeRoots = treeRoots;
        TreeDepths = treeDepths;
        CategoricalStarts = categoricalStarts;
        CategoricalSlots = categoricalSlots;
        Weights = weights;
        Bias = bias;
        SlotMeans = slotMeans;
        MlNetCalibrator = mlNetCalibrator;
        MlNetSlope = mlNetSlope;
        MlNetOffset = mlNetOffset;
        Algorithm = algorithm;
        MaxDepth = treeDepths.Length == 0 ? 0 : treeDepths.Max();
        TreeExpectations = ComputeTreeExpectations();
        BaseValue = kind == CompiledModelKind.Trees ? TreeExpectations.Sum() : LinearBase();
        _fastShap = new Lazy<FastTreeShap>(() => FastTreeShap.Build(this), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private readonly Lazy<FastTreeShap> _fastShap;

    public CompiledModelKind Kind { get; }
    /// <summary>The length of the slot vector the model reads (<c>FeatureEncoder.SlotCount</c>).</summary>
    public int SlotCount { get; }
    /// <summary>The ML.NET model type it came from, for the model card ("LightGbmBinaryModelParameters"...).</summary>
    public string Algorithm { get; }
    public int TreeCount => TreeRoots.Length;
    /// <summary>The deepest root-to-leaf path over all trees (edges).</summary>
    public int MaxDepth { get; }
    public MlNetCalibratorKind MlNetCalibrator { get; }
    /// <summary>The expected margin over the training rows: the base value of every explanation.</summary>
    public double BaseValue { get; }

    internal Node[] Nodes { get; }
    /// <summary>Leaf values (by node index; 0 for inner nodes).</summary>
    internal double[] Values { get; }
    /// <summary>Training rows through each node.</summary>
    internal double[] Cover { get; }
    internal int[] TreeRoots { get; }
    internal int[] TreeDepths { get; }
    internal double[] TreeExpectations { get; }
    /// <summary>Categorical set k is <c>CategoricalSlots[CategoricalStarts[k]..CategoricalStarts[k+1]]</c>.</summary>
    internal int[] CategoricalStarts { get; }
    internal int[] CategoricalSlots { get; }
    internal double[] Weights { get; }
    internal double Bias { get; }
    /// <summary>Linear models: the training mean of each slot (the reference point of exact contributions).</summary>
    internal double[] SlotMeans { get; }
    internal double MlNetSlope { get; }
    internal double MlNetOffset { get; }
    internal bool HasCategoricalSplits => CategoricalStarts.Length > 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsLeaf(Node[] nodes, int n) => nodes[n].Children == n - 1 && float.IsNaN(nodes[n].Threshold);

    /// <summary>The slot TreeSHAP charges a split to: its feature, or the first slot of a categorical set.</summary>
    internal int SplitSlot(int n)
    {
        var f = Nodes[n].Feature;
        return f >= 0 ? f : CategoricalSlots[CategoricalStarts[-1 - f]];
    }

    /// <summary>The child a row goes to from inner node <paramref name="n"/>, by ML.NET's rules.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int Next(int n, ReadOnlySpan<float> slots)
    {
        ref readonly var node = ref Nodes[n];
        if (node.Feature >= 0)
        {
            var v = slots[node.Feature];
            if (float.IsNaN(v)) v = node.MissingDefault;
            return node.Children + (v <= node.Threshold ? 0 : 1);
        }
        return node.Children + (CategoricalGoesRight(node, slots) ? 1 : 0);
    }

    private bool CategoricalGoesRight(in Node node, ReadOnlySpan<float> slots)
    {
        var k = -1 - node.Feature;
        for (var i = CategoricalStarts[k]; i < CategoricalStarts[k + 1]; i++)
        {
            var v = slots[CategoricalSlots[i]];
            if (float.IsNaN(v)) v = node.MissingDefault;
            if (v > 0f) return true;
        }
        return false;
    }

    /// <summary>The leaf node a row reaches in tree <paramref name="tree"/>.</summary>
    internal int Leaf(int tree, ReadOnlySpan<float> slots)
    {
        var n = TreeRoots[tree];
        while (!IsLeaf(Nodes, n)) n = Next(n, slots);
        return n;
    }

    /// <summary>The raw margin (log-odds) ML.NET reports as "Score", before any calibrator.</summary>
    public double Margin(ReadOnlySpan<float> slots)
    {
        if (slots.Length != SlotCount) throw new ArgumentException($"Expected {SlotCount} slots, got {slots.Length}.", nameof(slots));
        return (float)MarginExact(slots);
    }

    /// <summary>The margin in double, before ML.NET's cast to float: what explanations add up to.</summary>
    internal double MarginExact(ReadOnlySpan<float> slots)
    {
        if (Kind == CompiledModelKind.Linear)
        {
            var s = Bias;
            for (var i = 0; i < Weights.Length; i++) s += Weights[i] * slots[i];
            return s;
        }
        double sum = 0;
        for (var t = 0; t < TreeRoots.Length; t++) sum += Values[Leaf(t, slots)];
        return sum;
    }

    /// <summary>ML.NET's own probability for the row (its calibrator on <see cref="Margin"/>); NaN when ML.NET gives none.</summary>
    public double MlNetProbability(ReadOnlySpan<float> slots) => MlNetProbabilityOfMargin(Margin(slots));

    /// <summary>ML.NET's calibrator applied to a margin, in float as ML.NET computes it.</summary>
    public double MlNetProbabilityOfMargin(double margin) => MlNetCalibrator switch
    {
        MlNetCalibratorKind.Platt => (float)(1 / (1 + Math.Exp(MlNetSlope * (float)margin + MlNetOffset))),
        _ => double.NaN,
    };

    /// <summary>
    /// Margins of every row of a row-major matrix (rows x <see cref="SlotCount"/>), on this thread.
    /// Trees run over blocks of rows, eight rows at a time through each tree for a fixed number of
    /// steps (leaves loop on themselves), so the loop has no data-dependent branch and eight
    /// independent load chains hide each other's latency.
    /// </summary>
    public void Margins(ReadOnlySpan<float> matrix, Span<double> margins)
    {
        var rows = margins.Length;
        if (matrix.Length != (long)rows * SlotCount)
            throw new ArgumentException($"Matrix has {matrix.Length} values; {rows} rows of {SlotCount} slots need {(long)rows * SlotCount}.", nameof(matrix));
        if (Kind == CompiledModelKind.Linear || HasCategoricalSplits)
        {
            for (var r = 0; r < rows; r++) margins[r] = Margin(matrix.Slice(r * SlotCount, SlotCount));
            return;
        }
        const int Block = 64;
        Span<double> acc = stackalloc double[Block];
        for (var start = 0; start < rows; start += Block)
        {
            var count = Math.Min(Block, rows - start);
            acc[..count].Clear();
            TreesBlock(matrix.Slice(start * SlotCount, count * SlotCount), count, acc);
            for (var i = 0; i < count; i++) margins[start + i] = (float)acc[i];
        }
    }

    /// <summary><see cref="Margins"/> split over the thread pool in chunks of rows.</summary>
    public void MarginsParallel(float[] matrix, double[] margins, int chunkRows = 4096)
    {
        var rows = margins.Length;
        if (matrix.Length != (long)rows * SlotCount)
            throw new ArgumentException($"Matrix has {matrix.Length} values; {rows} rows of {SlotCount} slots need {(long)rows * SlotCount}.", nameof(matrix));
        var chunks = (rows + chunkRows - 1) / chunkRows;
        Parallel.For(0, chunks, c =>
        {
            var s = c * chunkRows;
            var n = Math.Min(chunkRows, rows - s);
            Margins(matrix.AsSpan(s * SlotCount, n * SlotCount), margins.AsSpan(s, n));
        });
    }

    private void TreesBlock(ReadOnlySpan<float> block, int count, Span<double> acc)
    {
        var nodes = Nodes;
        var values = Values;
        var w = SlotCount;
        ref var node0 = ref MemoryMarshal.GetArrayDataReference(nodes);
        ref var x0 = ref MemoryMarshal.GetReference(block);
        for (var t = 0; t < TreeRoots.Length; t++)
        {
            var root = TreeRoots[t];
            var depth = TreeDepths[t];
            var r = 0;
            for (; r + 8 <= count; r += 8)
            {
                ref var xa = ref Unsafe.Add(ref x0, r * w);
                ref var xb = ref Unsafe.Add(ref xa, w);
                ref var xc = ref Unsafe.Add(ref xb, w);
                ref var xd = ref Unsafe.Add(ref xc, w);
                ref var xe = ref Unsafe.Add(ref xd, w);
                ref var xf = ref Unsafe.Add(ref xe, w);
                ref var xg = ref Unsafe.Add(ref xf, w);
                ref var xh = ref Unsafe.Add(ref xg, w);
                int a = root, b = root, c = root, d = root, e = root, f = root, g = root, h = root;
                for (var k = 0; k < depth; k++)
                {
                    int a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
                    a = Step(ref node0, a, ref xa);
                    b = Step(ref node0, b, ref xb);
                    c = Step(ref node0, c, ref xc);
                    d = Step(ref node0, d, ref xd);
                    e = Step(ref node0, e, ref xe);
                    f = Step(ref node0, f, ref xf);
                    g = Step(ref node0, g, ref xg);
                    h = Step(ref node0, h, ref xh);
                    // Leaves loop on themselves: when no row moved, all eight are at their leaves
                    // (saves the padding steps of unbalanced, leaf-wise grown trees).
                    if (((a ^ a0) | (b ^ b0) | (c ^ c0) | (d ^ d0) | (e ^ e0) | (f ^ f0) | (g ^ g0) | (h ^ h0)) == 0) break;
                }
                acc[r] += values[a];
                acc[r + 1] += values[b];
                acc[r + 2] += values[c];
                acc[r + 3] += values[d];
                acc[r + 4] += values[e];
                acc[r + 5] += values[f];
                acc[r + 6] += values[g];
                acc[r + 7] += values[h];
            }
            for (; r < count; r++)
            {
                ref var xa = ref Unsafe.Add(ref x0, r * w);
                var a = root;
                for (var k = 0; k < depth; k++) a = Step(ref node0, a, ref xa);
                acc[r] += values[a];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref Node node0, int n, ref float x)
    {
        ref var node = ref Unsafe.Add(ref node0, n);
        var v = Unsafe.Add(ref x, node.Feature);
        // NaN is rare: this branch predicts well; the comparison itself is turned into 0/1 without a branch.
        if (float.IsNaN(v)) v = node.MissingDefault;
        var right = !(v <= node.Threshold);
        return node.Children + Unsafe.As<bool, byte>(ref right);
    }

    private double[] ComputeTreeExpectations()
    {
        var e = new double[TreeRoots.Length];
        for (var t = 0; t < e.Length; t++) e[t] = Expectation(TreeRoots[t]);
        return e;
    }

    /// <summary>Expected output below a node under the cover distribution (TreeSHAP's reference).</summary>
    internal double Expectation(int n)
    {
        if (IsLeaf(Nodes, n)) return Values[n];
        var l = Nodes[n].Children;
        var (zl, zr) = ZeroFractions(n);
        return zl * Expectation(l) + zr * Expectation(l + 1);
    }

    /// <summary>Share of the node's training rows going left and right (half and half where no row went).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal (double Left, double Right) ZeroFractions(int n)
    {
        var c = Cover[n];
        if (c <= 0) return (0.5, 0.5);
        var l = Nodes[n].Children;
        return (Cover[l] / c, Cover[l + 1] / c);
    }

    private double LinearBase()
    {
        var s = Bias;
        for (var i = 0; i < Weights.Length; i++) s += Weights[i] * SlotMeans[i];
        return s;
    }
}
