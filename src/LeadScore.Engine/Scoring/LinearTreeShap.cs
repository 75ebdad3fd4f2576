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
/// Rows follow <see cref="CompiledModel.Next"/>, the prediction path, so missing values (LightGBM
/// defaults, else right) and categorical splits (charged to the first slot of their set) are handled
/// exactly as by the model and by plain TreeSHAP; covers are the model's (<see cref="CompiledModel.ZeroFractions"/>).
/// </para>
/// </remarks>
internal sealed class LinearTreeShap
{
    private const int Lanes = 4;

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
        /// <summary>Offset of this edge's <c>1 / (z + (1 - z) t_j)</c>.</summary>
        public int Inv;
        /// <summary>Offset of the previous edge's vector (a vector of ones for the first).</summary>
        public int PrevInv;
        /// <summary>z of <see cref="Slot"/> after this edge (product of its cover ratios on the path).</summary>
        public double Zero;
        /// <summary>1 - z of <see cref="Slot"/> before this edge (0 for the first: then u before is 0).</summary>
        public double PrevOneMinusZero;
        /// <summary>This edge's own cover ratio.</summary>
        public double Ratio;
        /// <summary>The leaf value, when <see cref="Node"/> is a leaf.</summary>
        public double Value;
        public bool Leaf;
    }

    private readonly Edge[] _edges;
    private readonly int[] _edgeStart;
    private readonly int[] _points;
    private readonly int[] _slotStart;
    private readonly int[] _slots;
    private readonly double[] _inv;
    /// <summary>Per point count K (a multiple of 4): the points t_j, weights w_j and -w_j / (1 - t_j).</summary>
    private readonly double[][] _t;
    private readonly double[][] _w;
    private readonly double[][] _wu0;
    private readonly int _maxDepth;
    private readonly int _maxPoints;
    private readonly int _slotCount;

    private LinearTreeShap(Edge[] edges, int[] edgeStart, int[] points, int[] slotStart, int[] slots, double[] inv,
        double[][] t, double[][] w, double[][] wu0, int maxDepth, int maxPoints, int slotCount)
    {
        _edges = edges;
        _edgeStart = edgeStart;
        _points = points;
        _slotStart = slotStart;
        _slots = slots;
        _inv = inv;
        _t = t;
        _w = w;
        _wu0 = wu0;
        _maxDepth = maxDepth;
        _maxPoints = maxPoints;
        _slotCount = slotCount;
    }

    /// <summary>Quadrature points used for tree <paramref name="tree"/> (0 for a single leaf).</summary>
    public int Points(int tree) => _points[tree];

    /// <summary>Builds the per-edge data of the trees where <paramref name="include"/> is true (all when null).</summary>
    public static LinearTreeShap Build(CompiledModel model, bool[]? include = null)
    {
        var nodes = model.Nodes;
        var trees = model.TreeCount;
        var edges = new List<Edge>();
        var inv = new List<double>();
        var edgeStart = new int[trees + 1];
        var points = new int[trees];
        var slotStart = new int[trees + 1];
        var slots = new List<int>();
        var maxDepth = 0;
        var maxPoints = Lanes;
        var pathSlot = new int[model.MaxDepth + 2];
        var pathZero = new double[model.MaxDepth + 2];
        var pathInv = new int[model.MaxDepth + 2];
        var treeSlots = new HashSet<int>();
        for (var tree = 0; tree < trees; tree++)
        {
            edgeStart[tree] = edges.Count;
            slotStart[tree] = slots.Count;
            var root = model.TreeRoots[tree];
            if ((include is not null && !include[tree]) || CompiledModel.IsLeaf(nodes, root)) continue;
            var unique = MaxUnique(model, root, []);
            var k = Math.Max(1, (unique + 1) / 2);
            k = (k + Lanes - 1) / Lanes * Lanes;
            points[tree] = k;
            maxPoints = Math.Max(maxPoints, k);
            maxDepth = Math.Max(maxDepth, model.TreeDepths[tree]);
            var (t, _) = GaussLegendre(k);
            // The tree's vector of ones: the "before" of a feature's first edge.
            var ones = inv.Count;
            for (var j = 0; j < k; j++) inv.Add(1);
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
                var left = nodes[n].Children;
                for (var side = 0; side < 2; side++)
                {
                    var c = left + side;
                    var ratio = side == 0 ? zl : zr;
                    var before = prev < 0 ? 1.0 : pathZero[prev];
                    var zero = before * ratio;
                    var offset = inv.Count;
                    for (var j = 0; j < k; j++) inv.Add(1 / (zero + (1 - zero) * t[j]));
                    edges.Add(new Edge
                    {
                        Node = c,
                        Depth = depth + 1,
                        Slot = slot,
                        PrevDepth = prev,
                        Inv = offset,
                        PrevInv = prev < 0 ? ones : pathInv[prev],
                        Zero = zero,
                        PrevOneMinusZero = 1 - before,
                        Ratio = ratio,
                        Value = model.Values[c],
                        Leaf = CompiledModel.IsLeaf(nodes, c),
                    });
                    pathSlot[depth + 1] = slot;
                    pathZero[depth + 1] = zero;
                    pathInv[depth + 1] = offset;
                    Walk(c, depth + 1);
                }
            }
        }
        edgeStart[trees] = edges.Count;
        slotStart[trees] = slots.Count;

        var tt = new double[maxPoints + 1][];
        var ww = new double[maxPoints + 1][];
        var wu0 = new double[maxPoints + 1][];
        for (var k = Lanes; k <= maxPoints; k += Lanes)
        {
            (tt[k], ww[k]) = GaussLegendre(k);
            wu0[k] = new double[k];
            for (var j = 0; j < k; j++) wu0[k][j] = -ww[k][j] / (1 - tt[k][j]);
        }
        return new LinearTreeShap(edges.ToArray(), edgeStart, points, slotStart, slots.ToArray(), inv.ToArray(),
            tt, ww, wu0, maxDepth, maxPoints, model.SlotCount);
    }

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
        public double[] A = [];
        public double[] C = [];
        public double[] W = [];
        public double[] PhiLanes = [];
        public int[] Hot = [];
        public int[] Slot = [];
        public bool[] O = [];
    }

    [ThreadStatic] private static Scratch? t_scratch;

    /// <summary>This thread's buffers, large enough for this model.</summary>
    public Scratch RentScratch()
    {
        var s = t_scratch ??= new Scratch();
        var levels = _maxDepth + 1;
        if (s.A.Length < levels * _maxPoints)
        {
            s.A = new double[levels * _maxPoints];
            s.C = new double[levels * _maxPoints];
            s.W = new double[levels * _maxPoints];
        }
        if (s.Hot.Length < levels)
        {
            s.Hot = new int[levels];
            s.Slot = new int[levels];
            s.O = new bool[levels];
        }
        // Kept all zero between trees: each tree clears the lanes of the slots it touched.
        if (s.PhiLanes.Length < _slotCount * Lanes) s.PhiLanes = new double[_slotCount * Lanes];
        return s;
    }

    /// <summary>Adds the SHAP values of tree <paramref name="tree"/> for row <paramref name="x"/> to <paramref name="phi"/>.</summary>
    public void Tree(CompiledModel model, int tree, ReadOnlySpan<float> x, Span<double> phi, Scratch s)
    {
        var first = _edgeStart[tree];
        var end = _edgeStart[tree + 1];
        if (first == end) return;
        var k = _points[tree];
        ref var a0 = ref MemoryMarshal.GetArrayDataReference(s.A);
        ref var c0 = ref MemoryMarshal.GetArrayDataReference(s.C);
        ref var w0 = ref MemoryMarshal.GetArrayDataReference(s.W);
        ref var lanes0 = ref MemoryMarshal.GetArrayDataReference(s.PhiLanes);
        ref var inv0 = ref MemoryMarshal.GetArrayDataReference(_inv);
        ref var t0 = ref MemoryMarshal.GetArrayDataReference(_t[k]);
        ref var wq0 = ref MemoryMarshal.GetArrayDataReference(_w[k]);
        ref var wu00 = ref MemoryMarshal.GetArrayDataReference(_wu0[k]);
        var hot = s.Hot;
        var slotAt = s.Slot;
        var o = s.O;
        var one = Vector256<double>.One;

        for (var j = 0; j < k; j += Lanes)
        {
            one.StoreUnsafe(ref a0, (nuint)j);
            Vector256<double>.Zero.StoreUnsafe(ref c0, (nuint)j);
        }
        hot[0] = model.Next(model.TreeRoots[tree], x);
        var cur = 0;
        for (var i = first; i < end; i++)
        {
            ref readonly var e = ref _edges[i];
            var d = e.Depth;
            while (cur >= d) Close(ref c0, ref w0, ref lanes0, slotAt, k, cur--);
            var parent = (nuint)((d - 1) * k);
            var at = (nuint)(d * k);
            if (e.PrevDepth >= 0 && !o[e.PrevDepth])
            {
                // The row already failed an edge on this slot: u is unchanged, g only scales.
                o[d] = false;
                slotAt[d] = -1;
                var r = Vector256.Create(e.Ratio);
                for (nuint j = 0; j < (nuint)k; j += Lanes)
                    (Vector256.LoadUnsafe(ref a0, parent + j) * r).StoreUnsafe(ref a0, at + j);
            }
            else
            {
                var goes = e.Node == hot[d - 1];
                o[d] = goes;
                slotAt[d] = e.Slot;
                var z = Vector256.Create(e.Zero);
                var pomz = Vector256.Create(e.PrevOneMinusZero);
                var prevInv = (nuint)e.PrevInv;
                if (goes)
                {
                    var omz = one - z;
                    var inv = (nuint)e.Inv;
                    for (nuint j = 0; j < (nuint)k; j += Lanes)
                    {
                        var invP = Vector256.LoadUnsafe(ref inv0, prevInv + j);
                        var t = Vector256.LoadUnsafe(ref t0, j);
                        var wq = Vector256.LoadUnsafe(ref wq0, j);
                        var g = Vector256.FusedMultiplyAdd(omz, t, z);
                        (Vector256.LoadUnsafe(ref a0, parent + j) * g * invP).StoreUnsafe(ref a0, at + j);
                        (wq * (omz * Vector256.LoadUnsafe(ref inv0, inv + j) - pomz * invP)).StoreUnsafe(ref w0, at + j);
                    }
                }
                else
                {
                    for (nuint j = 0; j < (nuint)k; j += Lanes)
                    {
                        var invP = Vector256.LoadUnsafe(ref inv0, prevInv + j);
                        var t = Vector256.LoadUnsafe(ref t0, j);
                        var wq = Vector256.LoadUnsafe(ref wq0, j);
                        var g = z - z * t;
                        (Vector256.LoadUnsafe(ref a0, parent + j) * g * invP).StoreUnsafe(ref a0, at + j);
                        (Vector256.LoadUnsafe(ref wu00, j) - wq * pomz * invP).StoreUnsafe(ref w0, at + j);
                    }
                }
            }
            if (e.Leaf)
            {
                var v = Vector256.Create(e.Value);
                for (nuint j = 0; j < (nuint)k; j += Lanes)
                    (Vector256.LoadUnsafe(ref a0, at + j) * v).StoreUnsafe(ref c0, at + j);
            }
            else
            {
                for (nuint j = 0; j < (nuint)k; j += Lanes)
                    Vector256<double>.Zero.StoreUnsafe(ref c0, at + j);
                hot[d] = model.Next(e.Node, x);
            }
            cur = d;
        }
        while (cur >= 1) Close(ref c0, ref w0, ref lanes0, slotAt, k, cur--);

        // Flush the lanes of the tree's slots into phi (and leave them zero for the next tree).
        for (var i = _slotStart[tree]; i < _slotStart[tree + 1]; i++)
        {
            var slot = _slots[i];
            ref var l = ref Unsafe.Add(ref lanes0, slot * Lanes);
            phi[slot] += Vector256.Sum(Vector256.LoadUnsafe(ref l));
            Vector256<double>.Zero.StoreUnsafe(ref l);
        }
    }

    /// <summary>Ends the subtree at <paramref name="level"/>: its C goes to the parent, its edge's share to its slot's lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Close(ref double c0, ref double w0, ref double lanes0, int[] slotAt, int k, int level)
    {
        var at = (nuint)(level * k);
        var up = (nuint)((level - 1) * k);
        var slot = slotAt[level];
        if (slot >= 0)
        {
            var acc = Vector256<double>.Zero;
            for (nuint j = 0; j < (nuint)k; j += Lanes)
            {
                var c = Vector256.LoadUnsafe(ref c0, at + j);
                (Vector256.LoadUnsafe(ref c0, up + j) + c).StoreUnsafe(ref c0, up + j);
                acc = Vector256.FusedMultiplyAdd(c, Vector256.LoadUnsafe(ref w0, at + j), acc);
            }
            ref var l = ref Unsafe.Add(ref lanes0, slot * Lanes);
            (Vector256.LoadUnsafe(ref l) + acc).StoreUnsafe(ref l);
        }
        else
        {
            for (nuint j = 0; j < (nuint)k; j += Lanes)
                (Vector256.LoadUnsafe(ref c0, up + j) + Vector256.LoadUnsafe(ref c0, at + j)).StoreUnsafe(ref c0, up + j);
        }
    }
}
