using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LeadScore.Engine.Scoring;

/// <summary>
/// Exact path-dependent TreeSHAP in O(N K) per tree and row (N nodes, K = D/2 rounded up to whole
/// vectors, D the most unique features on a path): the idea of Linear TreeShap (Yu, Bhattacharyya et
/// al., NeurIPS 2022), with the polynomials held as values at Gauss-Legendre points instead of
/// Chebyshev interpolation.
/// </summary>
/// <remarks>
/// <para>
/// For a leaf with value v whose path has the unique features P (|P| = D), feature k has a cover
/// fraction z_k (product of the cover ratios of its edges on the path) and o_k = 1 when the row
/// satisfies all of its edges, else 0. TreeSHAP's value function is f(S) = v prod_{k in S} o_k prod_{k not in S} z_k,
/// and with the Shapley weight written as a Beta integral, s!(D-s-1)!/D! = int_0^1 t^s (1-t)^(D-s-1) dt,
/// the leaf's share of phi_i is
/// <c>v (o_i - z_i) int_0^1 G(t) / g_i(t) dt</c>, with <c>g_k(t) = z_k + (o_k - z_k) t</c> and <c>G = prod_k g_k</c>,
/// a polynomial of degree D - 1 under the integral. Gauss-Legendre quadrature with K points is exact
/// up to degree 2K - 1, so K = ceil(D / 2) points are enough, and the quadrature is well conditioned
/// (positive weights that sum to 1, every g_k in [0, 1] on [0, 1]): no interpolation, no cancellation.
/// </para>
/// <para>
/// One walk per tree: going down an edge on feature i multiplies the path product G by g_i(after) / g_i(before);
/// at a leaf, C = v G; going up, C is summed over the children. The edge then adds
/// <c>sum_j w_j C(t_j) [u_after(t_j) - u_before(t_j)]</c> to phi_i, where <c>u = (o - z) / g</c>; over a
/// leaf's path the differences of one feature telescope to its last edge, so a repeated feature is
/// charged once, exactly (the quadrature is linear, and the telescoped integrand is the polynomial above).
/// Once a row has failed an edge on feature i, deeper edges on i change neither u nor the shape of g
/// (g = z (1 - t)), so they only scale G by their cover ratio.
/// </para>
/// <para>
/// Everything but the row's path is a tree constant: for each edge, the factor g_after / g_before and the
/// weights w (u_after - u_before) are tabulated for the three cases (the row takes the edge, the row goes the
/// other way, the row failed the feature higher up), 2 K numbers each. A row's walk then only picks a case
/// per edge (no branch on the row's direction), multiplies, adds and accumulates: about K/2 vector
/// operations per edge and case, O(N K) per tree, where plain TreeSHAP takes O(L D^2).
/// </para>
/// <para>
/// Rows follow <see cref="CompiledModel.Next"/>, the prediction path, so missing values (LightGBM
/// defaults, else right) and categorical splits (charged to the first slot of their set) are handled
/// exactly as by the model and by plain TreeSHAP; covers are the model's (<see cref="CompiledModel.ZeroFractions"/>).
/// </para>
/// </remarks>
internal sealed class LinearTreeShap
{
    private const int Lanes = 4;
    /// <summary>The most quadrature points a tree may need here (paths of up to 128 unique features); deeper trees keep plain TreeSHAP.</summary>
    public const int MaxPoints = 64;

    /// <summary>One edge (parent to <see cref="Node"/>), in the tree's pre-order, left child first.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Edge
    {
        public int Node;
        /// <summary>Depth of <see cref="Node"/> (the root is 0).</summary>
        public int Depth;
        /// <summary>The slot the parent splits on (<see cref="CompiledModel.SplitSlot"/>).</summary>
        public int Slot;
        /// <summary>Depth of the previous edge on the same slot on this path; -1 for the first.</summary>
        public int PrevDepth;
        /// <summary>Offsets of the (factor, weights) vectors when the row takes this edge, goes the other way, or failed the slot above.</summary>
        public int Hot;
        public int Cold;
        public int Failed;
        public bool Leaf;
        /// <summary>The leaf value, when <see cref="Node"/> is a leaf.</summary>
        public double Value;
    }

    private readonly Edge[] _edges;
    private readonly int[] _edgeStart;
    private readonly int[] _points;
    private readonly int[] _slotStart;
    private readonly int[] _slots;
    /// <summary>Per edge and case: K factors g_after(t_j) / g_before(t_j), then K weights w_j (u_after - u_before)(t_j).</summary>
    private readonly double[] _vectors;
    private readonly int _maxDepth;
    private readonly int _maxPoints;
    private readonly int _slotCount;

    private LinearTreeShap(Edge[] edges, int[] edgeStart, int[] points, int[] slotStart, int[] slots, double[] vectors,
        int maxDepth, int maxPoints, int slotCount)
    {
        _edges = edges;
        _edgeStart = edgeStart;
        _points = points;
        _slotStart = slotStart;
        _slots = slots;
        _vectors = vectors;
        _maxDepth = maxDepth;
        _maxPoints = maxPoints;
        _slotCount = slotCount;
    }

    /// <summary>Quadrature points used for tree <paramref name="tree"/> (0 for a single leaf or a tree left out).</summary>
    public int Points(int tree) => _points[tree];

    /// <summary>Builds the per-edge data of the trees where <paramref name="include"/> is true (all when null).</summary>
    public static LinearTreeShap Build(CompiledModel model, bool[]? include = null)
    {
        var nodes = model.Nodes;
        var trees = model.TreeCount;
        var edges = new List<Edge>();
        var vectors = new List<double>();
        var edgeStart = new int[trees + 1];
        var points = new int[trees];
        var slotStart = new int[trees + 1];
        var slots = new List<int>();
        var maxDepth = 0;
        var maxPoints = Lanes;
        var pathSlot = new int[model.MaxDepth + 2];
        var pathZero = new double[model.MaxDepth + 2];
        var treeSlots = new HashSet<int>();
        for (var tree = 0; tree < trees; tree++)
        {
            edgeStart[tree] = edges.Count;
            slotStart[tree] = slots.Count;
            var root = model.TreeRoots[tree];
            if ((include is not null && !include[tree]) || CompiledModel.IsLeaf(nodes, root)) continue;
            var unique = MaxUnique(model, root, []);
            // Gauss-Legendre with k points is exact to degree 2k - 1 >= D - 1; k is one of the block widths.
            var k = Width(Math.Max(1, (unique + 1) / 2));
            if (k == 0) continue;
            points[tree] = k;
            maxPoints = Math.Max(maxPoints, k);
            maxDepth = Math.Max(maxDepth, model.TreeDepths[tree]);
            var (t, w) = GaussLegendre(k);
            treeSlots.Clear();
            Walk(root, 0);
            slots.AddRange(treeSlots.Order());

            void Walk(int n, int depth)
            {
                if (CompiledModel.IsLeaf(nodes, n)) return;
                var slot = model.SplitSlot(n);
                treeSlots.Add(slot);
                var (zl, zr) = model.ZeroFractions(n);
                var prev = -1;
                for (var d = depth; d >= 1; d--)
                    if (pathSlot[d] == slot) { prev = d; break; }
                // Before this edge the row still satisfies the slot (the other case is the Failed one):
                // g_before = zb + (1 - zb) t, u_before = (1 - zb) / g_before; for a first edge zb = 1 (g = 1, u = 0).
                var zb = prev < 0 ? 1.0 : pathZero[prev];
                var left = nodes[n].Children;
                for (var side = 0; side < 2; side++)
                {
                    var c = left + side;
                    var ratio = side == 0 ? zl : zr;
                    var z = zb * ratio;
                    var hot = vectors.Count;
                    for (var j = 0; j < k; j++) vectors.Add((z + (1 - z) * t[j]) / (zb + (1 - zb) * t[j]));
                    for (var j = 0; j < k; j++) vectors.Add(w[j] * ((1 - z) / (z + (1 - z) * t[j]) - (1 - zb) / (zb + (1 - zb) * t[j])));
                    var cold = vectors.Count;
                    for (var j = 0; j < k; j++) vectors.Add(z * (1 - t[j]) / (zb + (1 - zb) * t[j]));
                    for (var j = 0; j < k; j++) vectors.Add(w[j] * (-1 / (1 - t[j]) - (1 - zb) / (zb + (1 - zb) * t[j])));
                    var failed = -1;
                    if (prev >= 0)
                    {
                        // The row failed this slot above: g = z (1 - t) before and after, so the factor is the
                        // edge's own ratio and u does not change (weights 0).
                        failed = vectors.Count;
                        for (var j = 0; j < k; j++) vectors.Add(ratio);
                        for (var j = 0; j < k; j++) vectors.Add(0);
                    }
                    edges.Add(new Edge
                    {
                        Node = c,
                        Depth = depth + 1,
                        Slot = slot,
                        PrevDepth = prev,
                        Hot = hot,
                        Cold = cold,
                        Failed = failed,
                        Leaf = CompiledModel.IsLeaf(nodes, c),
                        Value = model.Values[c],
                    });
                    pathSlot[depth + 1] = slot;
                    pathZero[depth + 1] = z;
                    Walk(c, depth + 1);
                }
            }
        }
        edgeStart[trees] = edges.Count;
        slotStart[trees] = slots.Count;
        return new LinearTreeShap(edges.ToArray(), edgeStart, points, slotStart, slots.ToArray(), vectors.ToArray(),
            maxDepth, maxPoints, model.SlotCount);
    }

    /// <summary>
    /// The block width for <paramref name="points"/> points: a multiple of 2 up to 16 (a tree pays for the points it
    /// needs: a width costs about its number of doubles per edge), a multiple of 4 up to 32, then 48 and 64; 0 beyond.
    /// </summary>
    internal static int Width(int points) => points switch
    {
        <= 16 => (points + 1) / 2 * 2,
        <= 32 => (points + Lanes - 1) / Lanes * Lanes,
        <= 48 => 48,
        <= MaxPoints => MaxPoints,
        _ => 0,
    };

    /// <summary>Whether tree <paramref name="tree"/> is explained here (not a single leaf, and at most <see cref="MaxPoints"/> points).</summary>
    public bool Explains(int tree) => _points[tree] > 0;

    /// <summary>The most unique split slots on one root-to-leaf path below <paramref name="n"/>.</summary>
    internal static int MaxUnique(CompiledModel model, int n, List<int> path)
    {
        if (CompiledModel.IsLeaf(model.Nodes, n)) return path.Count;
        var slot = model.SplitSlot(n);
        var added = !path.Contains(slot);
        if (added) path.Add(slot);
        var l = model.Nodes[n].Children;
        var m = Math.Max(MaxUnique(model, l, path), MaxUnique(model, l + 1, path));
        if (added) path.RemoveAt(path.Count - 1);
        return m;
    }

    /// <summary>
    /// Gauss-Legendre points and weights on [0, 1]: exact for polynomials up to degree 2k - 1.
    /// Newton's method on the Legendre recurrence, from the usual cosine starting points.
    /// </summary>
    internal static (double[] Points, double[] Weights) GaussLegendre(int k)
    {
        var t = new double[k];
        var w = new double[k];
        for (var i = 0; i < (k + 1) / 2; i++)
        {
            var x = Math.Cos(Math.PI * (i + 0.75) / (k + 0.5));
            double dp = 0;
            for (var iter = 0; iter < 100; iter++)
            {
                double p0 = 1, p1 = x;
                for (var j = 2; j <= k; j++)
                {
                    var p2 = ((2 * j - 1) * x * p1 - (j - 1) * p0) / j;
                    p0 = p1;
                    p1 = p2;
                }
                dp = k * (x * p1 - p0) / (x * x - 1);
                var dx = p1 / dp;
                x -= dx;
                if (Math.Abs(dx) < 1e-16) break;
            }
            var weight = 1 / ((1 - x * x) * dp * dp);
            // x and -x map to (1 - x) / 2 and (1 + x) / 2; the weight on [0, 1] is half the weight on [-1, 1].
            t[i] = (1 - x) / 2;
            t[k - 1 - i] = (1 + x) / 2;
            w[i] = weight;
            w[k - 1 - i] = weight;
        }
        return (t, w);
    }

    /// <summary>Per-thread buffers, grown to the largest model seen: the hot path allocates nothing.</summary>
    internal sealed class Scratch
    {
        /// <summary>Per open node (by depth): the path product G, and the sum C of v G over its finished leaves.</summary>
        public double[] A = [];
        public double[] C = [];
        /// <summary>Per slot, 4 lanes of partial sums (all zero between trees).</summary>
        public double[] PhiLanes = [];
        /// <summary>Per open node: the child the row goes to, the offset of its edge's weights, its edge's slot, and o.</summary>
        public int[] Hot = [];
        public int[] Weights = [];
        public int[] Slot = [];
        public bool[] O = [];
    }

    [ThreadStatic] private static Scratch? t_scratch;

    /// <summary>This thread's buffers, large enough for this model.</summary>
    public Scratch RentScratch()
    {
        var s = t_scratch ??= new Scratch();
        // Room for two rows walked together (TreePair): the second row's state follows the first's.
        var levels = _maxDepth + 1;
        if (s.A.Length < 2 * levels * _maxPoints)
        {
            s.A = new double[2 * levels * _maxPoints];
            s.C = new double[2 * levels * _maxPoints];
        }
        if (s.Hot.Length < 2 * levels)
        {
            s.Hot = new int[2 * levels];
            s.Weights = new int[2 * levels];
            s.Slot = new int[levels];
            s.O = new bool[2 * levels];
        }
        if (s.PhiLanes.Length < 2 * _slotCount * Lanes) s.PhiLanes = new double[2 * _slotCount * Lanes];
        return s;
    }


    /// <summary>Adds the SHAP values of tree <paramref name="tree"/> for row <paramref name="x"/> to <paramref name="phi"/>.</summary>
    public void Tree(CompiledModel model, int tree, ReadOnlySpan<float> x, Span<double> phi, Scratch s)
    {
        // One specialised copy of the walk per width: the K values are straight-line vector code.
        switch (_points[tree])
        {
            case 0: return;
            case 2: Tree<Block2>(model, tree, x, phi, s); break;
            case 4: Tree<Block4>(model, tree, x, phi, s); break;
            case 6: Tree<Pair<Block4, Block2>>(model, tree, x, phi, s); break;
            case 8: Tree<Block8>(model, tree, x, phi, s); break;
            case 10: Tree<Pair<Block8, Block2>>(model, tree, x, phi, s); break;
            case 12: Tree<Pair<Block8, Block4>>(model, tree, x, phi, s); break;
            case 14: Tree<Pair<Block8, Pair<Block4, Block2>>>(model, tree, x, phi, s); break;
            case 16: Tree<Pair<Block8, Block8>>(model, tree, x, phi, s); break;
            case 20: Tree<Pair<Pair<Block8, Block8>, Block4>>(model, tree, x, phi, s); break;
            case 24: Tree<Pair<Pair<Block8, Block8>, Block8>>(model, tree, x, phi, s); break;
            case 28: Tree<Pair<Pair<Block8, Block8>, Pair<Block8, Block4>>>(model, tree, x, phi, s); break;
            case 32: Tree<Pair<Pair<Block8, Block8>, Pair<Block8, Block8>>>(model, tree, x, phi, s); break;
            case 48: Tree<Pair<Pair<Pair<Block8, Block8>, Pair<Block8, Block8>>, Pair<Block8, Block8>>>(model, tree, x, phi, s); break;
            default: Tree<Pair<Pair<Pair<Block8, Block8>, Pair<Block8, Block8>>, Pair<Pair<Block8, Block8>, Pair<Block8, Block8>>>>(model, tree, x, phi, s); break;
        }
    }

    /// <summary>
    /// <see cref="Tree(CompiledModel, int, ReadOnlySpan{float}, Span{double}, Scratch)"/> for two rows at once: one walk
    /// over the tree's edges does each row's arithmetic exactly as the single walk does (same operations, same order, so
    /// the same bits), and shares the rest (reading the edges, the walk's control) between them.
    /// </summary>
    public void TreePair(CompiledModel model, int tree, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, Span<double> phi0, Span<double> phi1, Scratch s)
    {
        switch (_points[tree])
        {
            case 0: return;
            case 2: TreePair<Block2>(model, tree, x0, x1, phi0, phi1, s); break;
            case 4: TreePair<Block4>(model, tree, x0, x1, phi0, phi1, s); break;
            case 6: TreePair<Pair<Block4, Block2>>(model, tree, x0, x1, phi0, phi1, s); break;
            case 8: TreePair<Block8>(model, tree, x0, x1, phi0, phi1, s); break;
            default:
                // Wider trees (deep paths, rare) are walked row by row.
                Tree(model, tree, x0, phi0, s);
                Tree(model, tree, x1, phi1, s);
                break;
        }
    }

    // Optimised from the first call: a CLI run lasts seconds, and unoptimised walks (before the JIT's tier-up) cost several times more.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TreePair<TBlock>(CompiledModel model, int tree, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, Span<double> phi0, Span<double> phi1, Scratch s)
        where TBlock : struct, IBlock<TBlock>
    {
        var first = _edgeStart[tree];
        var end = _edgeStart[tree + 1];
        var k = (nuint)TBlock.Width;
        var width = k;
        var levels = _maxDepth + 1;
        var second = (nuint)(levels * _maxPoints);
        ref var a0 = ref MemoryMarshal.GetArrayDataReference(s.A);
        ref var c0 = ref MemoryMarshal.GetArrayDataReference(s.C);
        ref var a1 = ref Unsafe.Add(ref a0, second);
        ref var c1 = ref Unsafe.Add(ref c0, second);
        ref var lanes0 = ref MemoryMarshal.GetArrayDataReference(s.PhiLanes);
        ref var lanes1 = ref Unsafe.Add(ref lanes0, _slotCount * Lanes);
        ref var v0 = ref MemoryMarshal.GetArrayDataReference(_vectors);
        ref var edge0 = ref MemoryMarshal.GetArrayDataReference(_edges);
        ref var hot0 = ref MemoryMarshal.GetArrayDataReference(s.Hot);
        ref var hot1 = ref Unsafe.Add(ref hot0, levels);
        ref var w0 = ref MemoryMarshal.GetArrayDataReference(s.Weights);
        ref var w1 = ref Unsafe.Add(ref w0, levels);
        ref var slot0 = ref MemoryMarshal.GetArrayDataReference(s.Slot);
        ref var o0 = ref MemoryMarshal.GetArrayDataReference(s.O);
        ref var o1 = ref Unsafe.Add(ref o0, levels);

        TBlock.Store(TBlock.Splat(1), ref a0, 0);
        TBlock.Store(TBlock.Splat(0), ref c0, 0);
        TBlock.Store(TBlock.Splat(1), ref a1, 0);
        TBlock.Store(TBlock.Splat(0), ref c1, 0);
        var root = model.TreeRoots[tree];
        hot0 = model.Next(root, x0);
        hot1 = model.Next(root, x1);
        var cur = 0;
        for (var i = first; i < end; i++)
        {
            ref readonly var e = ref Unsafe.Add(ref edge0, i);
            var d = e.Depth;
            while (cur >= d)
            {
                Close<TBlock>(ref c0, ref v0, ref lanes0, ref w0, ref slot0, width, cur);
                Close<TBlock>(ref c1, ref v0, ref lanes1, ref w1, ref slot0, width, cur);
                cur--;
            }
            var satisfied0 = e.PrevDepth < 0 || Unsafe.Add(ref o0, e.PrevDepth);
            var satisfied1 = e.PrevDepth < 0 || Unsafe.Add(ref o1, e.PrevDepth);
            var goes0 = e.Node == Unsafe.Add(ref hot0, d - 1);
            var goes1 = e.Node == Unsafe.Add(ref hot1, d - 1);
            var goesMask0 = -(int)Unsafe.As<bool, byte>(ref goes0);
            var goesMask1 = -(int)Unsafe.As<bool, byte>(ref goes1);
            var satisfiedMask0 = -(int)Unsafe.As<bool, byte>(ref satisfied0);
            var satisfiedMask1 = -(int)Unsafe.As<bool, byte>(ref satisfied1);
            var taken0 = e.Cold ^ ((e.Hot ^ e.Cold) & goesMask0);
            var taken1 = e.Cold ^ ((e.Hot ^ e.Cold) & goesMask1);
            var off0 = (nuint)(e.Failed ^ ((taken0 ^ e.Failed) & satisfiedMask0));
            var off1 = (nuint)(e.Failed ^ ((taken1 ^ e.Failed) & satisfiedMask1));
            var parent = (nuint)(d - 1) * width;
            if (e.Leaf)
            {
                var leaf0 = TBlock.Scale(TBlock.Mul(TBlock.Load(ref a0, parent), TBlock.Load(ref v0, off0)), e.Value);
                var leaf1 = TBlock.Scale(TBlock.Mul(TBlock.Load(ref a1, parent), TBlock.Load(ref v0, off1)), e.Value);
                TBlock.Store(TBlock.Add(TBlock.Load(ref c0, parent), leaf0), ref c0, parent);
                TBlock.Store(TBlock.Add(TBlock.Load(ref c1, parent), leaf1), ref c1, parent);
                ref var l0 = ref Unsafe.Add(ref lanes0, e.Slot * Lanes);
                (Vector256.LoadUnsafe(ref l0) + TBlock.Dot(leaf0, TBlock.Load(ref v0, off0 + k))).StoreUnsafe(ref l0);
                ref var l1 = ref Unsafe.Add(ref lanes1, e.Slot * Lanes);
                (Vector256.LoadUnsafe(ref l1) + TBlock.Dot(leaf1, TBlock.Load(ref v0, off1 + k))).StoreUnsafe(ref l1);
                cur = d - 1;
            }
            else
            {
                var at = (nuint)d * width;
                TBlock.Store(TBlock.Mul(TBlock.Load(ref a0, parent), TBlock.Load(ref v0, off0)), ref a0, at);
                TBlock.Store(TBlock.Mul(TBlock.Load(ref a1, parent), TBlock.Load(ref v0, off1)), ref a1, at);
                TBlock.Store(TBlock.Splat(0), ref c0, at);
                TBlock.Store(TBlock.Splat(0), ref c1, at);
                Unsafe.Add(ref o0, d) = (satisfiedMask0 & goesMask0) != 0;
                Unsafe.Add(ref o1, d) = (satisfiedMask1 & goesMask1) != 0;
                Unsafe.Add(ref w0, d) = (int)(off0 + k);
                Unsafe.Add(ref w1, d) = (int)(off1 + k);
                Unsafe.Add(ref slot0, d) = e.Slot;
                Unsafe.Add(ref hot0, d) = model.Next(e.Node, x0);
                Unsafe.Add(ref hot1, d) = model.Next(e.Node, x1);
                cur = d;
            }
        }
        while (cur >= 1)
        {
            Close<TBlock>(ref c0, ref v0, ref lanes0, ref w0, ref slot0, width, cur);
            Close<TBlock>(ref c1, ref v0, ref lanes1, ref w1, ref slot0, width, cur);
            cur--;
        }

        for (var i = _slotStart[tree]; i < _slotStart[tree + 1]; i++)
        {
            var slot = _slots[i];
            ref var l0 = ref Unsafe.Add(ref lanes0, slot * Lanes);
            phi0[slot] += Vector256.Sum(Vector256.LoadUnsafe(ref l0));
            Vector256<double>.Zero.StoreUnsafe(ref l0);
            ref var l1 = ref Unsafe.Add(ref lanes1, slot * Lanes);
            phi1[slot] += Vector256.Sum(Vector256.LoadUnsafe(ref l1));
            Vector256<double>.Zero.StoreUnsafe(ref l1);
        }
    }

    // Optimised from the first call: a CLI run lasts seconds, and unoptimised walks (before the JIT's tier-up) cost several times more.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Tree<TBlock>(CompiledModel model, int tree, ReadOnlySpan<float> x, Span<double> phi, Scratch s)
        where TBlock : struct, IBlock<TBlock>
    {
        var first = _edgeStart[tree];
        var end = _edgeStart[tree + 1];
        var k = (nuint)TBlock.Width;
        var width = k;
        ref var a0 = ref MemoryMarshal.GetArrayDataReference(s.A);
        ref var c0 = ref MemoryMarshal.GetArrayDataReference(s.C);
        ref var lanes0 = ref MemoryMarshal.GetArrayDataReference(s.PhiLanes);
        ref var v0 = ref MemoryMarshal.GetArrayDataReference(_vectors);
        ref var edge0 = ref MemoryMarshal.GetArrayDataReference(_edges);
        ref var hot0 = ref MemoryMarshal.GetArrayDataReference(s.Hot);
        ref var w0 = ref MemoryMarshal.GetArrayDataReference(s.Weights);
        ref var slot0 = ref MemoryMarshal.GetArrayDataReference(s.Slot);
        ref var o0 = ref MemoryMarshal.GetArrayDataReference(s.O);

        TBlock.Store(TBlock.Splat(1), ref a0, 0);
        TBlock.Store(TBlock.Splat(0), ref c0, 0);
        hot0 = model.Next(model.TreeRoots[tree], x);
        // The deepest open inner node; a leaf is finished where it is met.
        var cur = 0;
        for (var i = first; i < end; i++)
        {
            ref readonly var e = ref Unsafe.Add(ref edge0, i);
            var d = e.Depth;
            while (cur >= d) Close<TBlock>(ref c0, ref v0, ref lanes0, ref w0, ref slot0, width, cur--);
            var satisfied = e.PrevDepth < 0 || Unsafe.Add(ref o0, e.PrevDepth);
            var goes = e.Node == Unsafe.Add(ref hot0, d - 1);
            // Which case, without a branch (the row's direction is as good as random): masks of all ones or zeros.
            var goesMask = -(int)Unsafe.As<bool, byte>(ref goes);
            var satisfiedMask = -(int)Unsafe.As<bool, byte>(ref satisfied);
            var taken = e.Cold ^ ((e.Hot ^ e.Cold) & goesMask);
            var off = (nuint)(e.Failed ^ ((taken ^ e.Failed) & satisfiedMask));
            var parent = (nuint)(d - 1) * width;
            if (e.Leaf)
            {
                // C of the leaf, v G, goes straight to its parent and its edge's share to the slot.
                var leaf = TBlock.Scale(TBlock.Mul(TBlock.Load(ref a0, parent), TBlock.Load(ref v0, off)), e.Value);
                TBlock.Store(TBlock.Add(TBlock.Load(ref c0, parent), leaf), ref c0, parent);
                ref var l = ref Unsafe.Add(ref lanes0, e.Slot * Lanes);
                (Vector256.LoadUnsafe(ref l) + TBlock.Dot(leaf, TBlock.Load(ref v0, off + k))).StoreUnsafe(ref l);
                cur = d - 1;
            }
            else
            {
                var at = (nuint)d * width;
                TBlock.Store(TBlock.Mul(TBlock.Load(ref a0, parent), TBlock.Load(ref v0, off)), ref a0, at);
                TBlock.Store(TBlock.Splat(0), ref c0, at);
                Unsafe.Add(ref o0, d) = (satisfiedMask & goesMask) != 0;
                Unsafe.Add(ref w0, d) = (int)(off + k);
                Unsafe.Add(ref slot0, d) = e.Slot;
                Unsafe.Add(ref hot0, d) = model.Next(e.Node, x);
                cur = d;
            }
        }
        while (cur >= 1) Close<TBlock>(ref c0, ref v0, ref lanes0, ref w0, ref slot0, width, cur--);

        // Flush the lanes of the tree's slots into phi (and leave them zero for the next tree).
        for (var i = _slotStart[tree]; i < _slotStart[tree + 1]; i++)
        {
            var slot = _slots[i];
            ref var l = ref Unsafe.Add(ref lanes0, slot * Lanes);
            phi[slot] += Vector256.Sum(Vector256.LoadUnsafe(ref l));
            Vector256<double>.Zero.StoreUnsafe(ref l);
        }
    }

    /// <summary>Ends the inner node at <paramref name="level"/>: its C goes to the parent, its edge's share to its slot's lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Close<TBlock>(ref double c0, ref double v0, ref double lanes0, ref int w0, ref int slot0, nuint width, int level)
        where TBlock : struct, IBlock<TBlock>
    {
        var at = (nuint)level * width;
        var c = TBlock.Load(ref c0, at);
        TBlock.Store(TBlock.Add(TBlock.Load(ref c0, at - width), c), ref c0, at - width);
        ref var l = ref Unsafe.Add(ref lanes0, Unsafe.Add(ref slot0, level) * Lanes);
        (Vector256.LoadUnsafe(ref l) + TBlock.Dot(c, TBlock.Load(ref v0, (nuint)Unsafe.Add(ref w0, level)))).StoreUnsafe(ref l);
    }

    /// <summary>K doubles as a value the JIT keeps in registers: one specialised walk per width, no loops over K.</summary>
    private interface IBlock<TSelf> where TSelf : struct, IBlock<TSelf>
    {
        static abstract int Width { get; }
        static abstract TSelf Load(ref double p, nuint offset);
        static abstract void Store(TSelf v, ref double p, nuint offset);
        static abstract TSelf Splat(double v);
        static abstract TSelf Add(TSelf a, TSelf b);
        static abstract TSelf Mul(TSelf a, TSelf b);
        static abstract TSelf Scale(TSelf a, double s);
        /// <summary>The products a_j b_j summed into 4 lanes.</summary>
        static abstract Vector256<double> Dot(TSelf a, TSelf b);
    }

    /// <summary>Two points (paths of up to 4 unique features): half a vector, summed into the low 2 of the 4 lanes.</summary>
    private struct Block2 : IBlock<Block2>
    {
        public Vector128<double> V;

        public static int Width => 2;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block2 Load(ref double p, nuint offset) => new() { V = Vector128.LoadUnsafe(ref p, offset) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Block2 v, ref double p, nuint offset) => v.V.StoreUnsafe(ref p, offset);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block2 Splat(double v) => new() { V = Vector128.Create(v) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block2 Add(Block2 a, Block2 b) => new() { V = a.V + b.V };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block2 Mul(Block2 a, Block2 b) => new() { V = a.V * b.V };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block2 Scale(Block2 a, double s) => new() { V = a.V * Vector128.Create(s) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Dot(Block2 a, Block2 b) => (a.V * b.V).ToVector256();
    }

    private struct Block4 : IBlock<Block4>
    {
        public Vector256<double> V;

        public static int Width => 4;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block4 Load(ref double p, nuint offset) => new() { V = Vector256.LoadUnsafe(ref p, offset) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Block4 v, ref double p, nuint offset) => v.V.StoreUnsafe(ref p, offset);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block4 Splat(double v) => new() { V = Vector256.Create(v) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block4 Add(Block4 a, Block4 b) => new() { V = a.V + b.V };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block4 Mul(Block4 a, Block4 b) => new() { V = a.V * b.V };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block4 Scale(Block4 a, double s) => new() { V = a.V * Vector256.Create(s) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Dot(Block4 a, Block4 b) => a.V * b.V;
    }

    private struct Block8 : IBlock<Block8>
    {
        public Vector256<double> Lo;
        public Vector256<double> Hi;

        public static int Width => 8;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block8 Load(ref double p, nuint offset) => new() { Lo = Vector256.LoadUnsafe(ref p, offset), Hi = Vector256.LoadUnsafe(ref p, offset + 4) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Block8 v, ref double p, nuint offset)
        {
            v.Lo.StoreUnsafe(ref p, offset);
            v.Hi.StoreUnsafe(ref p, offset + 4);
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block8 Splat(double v) => new() { Lo = Vector256.Create(v), Hi = Vector256.Create(v) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block8 Add(Block8 a, Block8 b) => new() { Lo = a.Lo + b.Lo, Hi = a.Hi + b.Hi };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block8 Mul(Block8 a, Block8 b) => new() { Lo = a.Lo * b.Lo, Hi = a.Hi * b.Hi };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Block8 Scale(Block8 a, double s)
        {
            var v = Vector256.Create(s);
            return new() { Lo = a.Lo * v, Hi = a.Hi * v };
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Dot(Block8 a, Block8 b) => Vector256.FusedMultiplyAdd(a.Lo, b.Lo, a.Hi * b.Hi);
    }

    /// <summary>Two blocks side by side: widths 6 to 64.</summary>
    private struct Pair<TA, TB> : IBlock<Pair<TA, TB>> where TA : struct, IBlock<TA> where TB : struct, IBlock<TB>
    {
        public TA A;
        public TB B;

        public static int Width => TA.Width + TB.Width;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Pair<TA, TB> Load(ref double p, nuint offset) => new() { A = TA.Load(ref p, offset), B = TB.Load(ref p, offset + (nuint)TA.Width) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Pair<TA, TB> v, ref double p, nuint offset)
        {
            TA.Store(v.A, ref p, offset);
            TB.Store(v.B, ref p, offset + (nuint)TA.Width);
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Pair<TA, TB> Splat(double v) => new() { A = TA.Splat(v), B = TB.Splat(v) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Pair<TA, TB> Add(Pair<TA, TB> a, Pair<TA, TB> b) => new() { A = TA.Add(a.A, b.A), B = TB.Add(a.B, b.B) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Pair<TA, TB> Mul(Pair<TA, TB> a, Pair<TA, TB> b) => new() { A = TA.Mul(a.A, b.A), B = TB.Mul(a.B, b.B) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Pair<TA, TB> Scale(Pair<TA, TB> a, double s) => new() { A = TA.Scale(a.A, s), B = TB.Scale(a.B, s) };
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<double> Dot(Pair<TA, TB> a, Pair<TA, TB> b) => TA.Dot(a.A, b.A) + TB.Dot(a.B, b.B);
    }
}
