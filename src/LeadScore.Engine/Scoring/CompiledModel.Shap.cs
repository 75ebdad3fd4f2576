using System.Runtime.CompilerServices;

namespace LeadScore.Engine.Scoring;

public sealed partial class CompiledModel
{
    /// <summary>One feature on the current root-to-node path of TreeSHAP (Lundberg et al., algorithm 2).</summary>
    private struct PathElement
    {
        public int Feature;
        public double Zero;
        public double One;
        public double Weight;
    }

    /// <summary>
    /// Exact SHAP values of one row, per slot, in log-odds: <paramref name="baseValue"/> plus the sum
    /// of <paramref name="perSlot"/> equals the row's margin. Trees: path-dependent TreeSHAP over the
    /// stored covers (a categorical split is charged to the first slot of its set). Linear models:
    /// <c>w_i * (x_i - mean_i)</c>, exact for a linear margin. Allocates nothing.
    /// </summary>
    public void Contributions(ReadOnlySpan<float> slots, Span<double> perSlot, out double baseValue)
    {
        if (slots.Length != SlotCount) throw new ArgumentException($"Expected {SlotCount} slots, got {slots.Length}.", nameof(slots));
        if (perSlot.Length != SlotCount) throw new ArgumentException($"Expected {SlotCount} contributions, got {perSlot.Length}.", nameof(perSlot));
        perSlot.Clear();
        baseValue = BaseValue;
        if (Kind == CompiledModelKind.Linear)
        {
            for (var i = 0; i < SlotCount; i++) perSlot[i] = Weights[i] * (slots[i] - SlotMeans[i]);
            return;
        }
        FastShap.Contributions(this, slots, perSlot);
    }

    /// <summary>
    /// <see cref="Contributions(ReadOnlySpan{float}, Span{double}, out double)"/> for a block of rows
    /// (row-major, <see cref="SlotCount"/> wide; <paramref name="perSlot"/> the same shape). Faster per
    /// row than one at a time: trees are walked tree by tree over the block, keeping tables in cache.
    /// The base value is <see cref="BaseValue"/> for every row.
    /// </summary>
    public void Contributions(ReadOnlySpan<float> matrix, Span<double> perSlot)
    {
        var rows = matrix.Length / SlotCount;
        if (matrix.Length != rows * SlotCount || perSlot.Length != matrix.Length)
            throw new ArgumentException($"Expected whole rows of {SlotCount} slots and contributions of the same shape.", nameof(perSlot));
        perSlot.Clear();
        if (Kind == CompiledModelKind.Linear)
        {
            for (var r = 0; r < rows; r++)
                for (var i = 0; i < SlotCount; i++) perSlot[r * SlotCount + i] = Weights[i] * (matrix[r * SlotCount + i] - SlotMeans[i]);
            return;
        }
        FastShap.ContributionsBlock(this, matrix, perSlot, rows);
    }

    /// <summary>
    /// The explainer: Fast TreeSHAP tables where they fit, Linear TreeSHAP elsewhere; built on first use
    /// (a fraction of a second for 100 trees of 63 leaves).
    /// </summary>
    internal FastTreeShap FastShap => _fastShap.Value;

    /// <summary>
    /// The same model (same arrays, same margins) explained by <paramref name="method"/>: for tests and
    /// for benchmarks that time the algorithms side by side through the whole engine.
    /// </summary>
    internal CompiledModel WithShapMethod(ShapMethod method) => new(this, method);

    private CompiledModel(CompiledModel m, ShapMethod method)
        : this(m.Kind, m.SlotCount, m.Nodes, m.Values, m.Cover, m.TreeRoots, m.TreeDepths, m.CategoricalStarts, m.CategoricalSlots,
            m.Weights, m.Bias, m.SlotMeans, m.MlNetCalibrator, m.MlNetSlope, m.MlNetOffset, m.Algorithm)
    {
        _fastShap = new Lazy<FastTreeShap>(() => FastTreeShap.Build(this, method), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Plain path-dependent TreeSHAP of one tree, added to <paramref name="perSlot"/>.</summary>
    internal void TreeShapOneTree(int tree, ReadOnlySpan<float> slots, Span<double> perSlot)
    {
        var maxd = TreeDepths[tree] + 2;
        var size = maxd * (maxd + 1) / 2;
        Span<PathElement> path = size <= 1024 ? stackalloc PathElement[size] : new PathElement[size];
        TreeShap(TreeRoots[tree], slots, perSlot, path, 0, 0, 1, 1, -1);
    }

    /// <summary>Plain path-dependent TreeSHAP over every tree (the reference the fast tables are checked against).</summary>
    internal void TreeShapAllTrees(ReadOnlySpan<float> slots, Span<double> perSlot)
    {
        var maxd = MaxDepth + 2;
        var size = maxd * (maxd + 1) / 2;
        Span<PathElement> path = size <= 1024 ? stackalloc PathElement[size] : new PathElement[size];
        for (var t = 0; t < TreeRoots.Length; t++)
            TreeShap(TreeRoots[t], slots, perSlot, path, 0, 0, 1, 1, -1);
    }

    private void TreeShap(int node, ReadOnlySpan<float> x, Span<double> phi, Span<PathElement> parentPath, int parentOffset,
        int uniqueDepth, double parentZero, double parentOne, int parentFeature)
    {
        // This node's path lives right after the parent's, so recursion needs no allocation.
        var offset = parentOffset + uniqueDepth + 1;
        var path = parentPath[offset..];
        parentPath.Slice(parentOffset, uniqueDepth + 1).CopyTo(path);
        ExtendPath(path, uniqueDepth, parentZero, parentOne, parentFeature);

        if (IsLeaf(Nodes, node))
        {
            var v = Values[node];
            for (var i = 1; i <= uniqueDepth; i++)
            {
                var w = UnwoundPathSum(path, uniqueDepth, i);
                ref var el = ref path[i];
                phi[el.Feature] += w * (el.One - el.Zero) * v;
            }
            return;
        }

        var left = Nodes[node].Children;
        var hot = Next(node, x);
        var cold = hot == left ? left + 1 : left;
        var (zl, zr) = ZeroFractions(node);
        var hotZero = hot == left ? zl : zr;
        var coldZero = hot == left ? zr : zl;
        double incomingZero = 1, incomingOne = 1;
        var feature = SplitSlot(node);
        var pathIndex = 0;
        for (; pathIndex <= uniqueDepth; pathIndex++)
            if (path[pathIndex].Feature == feature) break;
        if (pathIndex != uniqueDepth + 1)
        {
            // The feature was already split on above: undo it and merge the two conditions.
            incomingZero = path[pathIndex].Zero;
            incomingOne = path[pathIndex].One;
            UnwindPath(path, uniqueDepth, pathIndex);
            uniqueDepth--;
        }
        TreeShap(hot, x, phi, parentPath, offset, uniqueDepth + 1, hotZero * incomingZero, incomingOne, feature);
        TreeShap(cold, x, phi, parentPath, offset, uniqueDepth + 1, coldZero * incomingZero, 0, feature);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ExtendPath(Span<PathElement> p, int depth, double zero, double one, int feature)
    {
        p[depth] = new PathElement { Feature = feature, Zero = zero, One = one, Weight = depth == 0 ? 1 : 0 };
        for (var i = depth - 1; i >= 0; i--)
        {
            p[i + 1].Weight += one * p[i].Weight * (i + 1) / (depth + 1);
            p[i].Weight = zero * p[i].Weight * (depth - i) / (depth + 1);
        }
    }

    private static void UnwindPath(Span<PathElement> p, int depth, int pathIndex)
    {
        var one = p[pathIndex].One;
        var zero = p[pathIndex].Zero;
        var nextOne = p[depth].Weight;
        for (var i = depth - 1; i >= 0; i--)
        {
            if (one != 0)
            {
                var tmp = p[i].Weight;
                p[i].Weight = nextOne * (depth + 1) / ((i + 1) * one);
                nextOne = tmp - p[i].Weight * zero * (depth - i) / (depth + 1);
            }
            else
            {
                p[i].Weight = p[i].Weight * (depth + 1) / (zero * (depth - i));
            }
        }
        for (var i = pathIndex; i < depth; i++)
        {
            p[i].Feature = p[i + 1].Feature;
            p[i].Zero = p[i + 1].Zero;
            p[i].One = p[i + 1].One;
        }
    }

    private static double UnwoundPathSum(Span<PathElement> p, int depth, int pathIndex)
    {
        var one = p[pathIndex].One;
        var zero = p[pathIndex].Zero;
        var nextOne = p[depth].Weight;
        double total = 0;
        for (var i = depth - 1; i >= 0; i--)
        {
            if (one != 0)
            {
                var tmp = nextOne * (depth + 1) / ((i + 1) * one);
                total += tmp;
                nextOne = p[i].Weight - tmp * zero * (depth - i) / (depth + 1);
            }
            else
            {
                total += p[i].Weight / zero * (depth + 1) / (depth - i);
            }
        }
        return total;
    }
}
