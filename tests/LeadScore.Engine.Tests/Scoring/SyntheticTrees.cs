using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>
/// Seeded random tree ensembles built straight into <see cref="CompiledModel"/>'s arrays, for the SHAP
/// exactness tests: deep spines (a path of exactly <c>depth</c> edges in every tree), features drawn from
/// a few slots so paths repeat them, LightGBM-style NaN defaults on some nodes, categorical sets, and
/// covers that add up (a child may be given zero cover when asked).
/// </summary>
internal static class SyntheticTrees
{
    public sealed record Options
    {
        public int Trees { get; init; } = 3;
        public int Depth { get; init; } = 20;
        /// <summary>Numeric slots 0..NumericSlots-1; categorical sets draw from the next <see cref="CategoricalSlots"/> slots.</summary>
        public int NumericSlots { get; init; } = 8;
        public int CategoricalSlots { get; init; }
        /// <summary>Chance that a node off the spine still splits (decays with depth).</summary>
        public double Branching { get; init; } = 0.8;
        /// <summary>Chance that a child gets zero cover (training rows never went there).</summary>
        public double ZeroCover { get; init; }
        public int MaxNodesPerTree { get; init; } = 3000;
        /// <summary>When set, the even trees (0, 2, ...) are only this deep: a model mixing trees that fit the tables with deep ones.</summary>
        public int? ShallowDepth { get; init; }
    }

    public static int SlotCount(Options o) => o.NumericSlots + o.CategoricalSlots;

    public static CompiledModel Build(int seed, Options o)
    {
        var rng = new Random(seed);
        var nodes = new List<CompiledModel.Node>();
        var values = new List<double>();
        var cover = new List<double>();
        var roots = new int[o.Trees];
        var depths = new int[o.Trees];
        var catStarts = new List<int> { 0 };
        var catSlots = new List<int>();
        for (var t = 0; t < o.Trees; t++)
        {
            var root = nodes.Count;
            roots[t] = root;
            Add();
            var maxDepth = 0;
            // Breadth-first, so children stay side by side: (node, depth, on the spine).
            var queue = new Queue<(int Node, int Depth, bool Spine)>();
            queue.Enqueue((root, 0, true));
            var budget = o.MaxNodesPerTree;
            var depth = o.ShallowDepth is { } shallow && t % 2 == 0 ? shallow : o.Depth;
            while (queue.Count > 0)
            {
                var (n, d, spine) = queue.Dequeue();
                maxDepth = Math.Max(maxDepth, d);
                var split = spine ? d < depth : d < depth && nodes.Count + 2 <= budget && rng.NextDouble() < o.Branching * (1 - (double)d / (depth + 1));
                if (!split)
                {
                    nodes[n] = new CompiledModel.Node { Feature = 0, Threshold = float.NaN, Children = n - 1, MissingDefault = float.NaN };
                    values[n] = Math.Round(rng.NextDouble() * 4 - 2, 3);
                    continue;
                }
                var children = nodes.Count;
                Add();
                Add();
                var node = new CompiledModel.Node
                {
                    Children = children,
                    Threshold = (float)Math.Round(rng.NextDouble() * 2 - 1, 2),
                    // A third of the nodes carry a LightGBM-style NaN default, on either side of the threshold.
                    MissingDefault = rng.NextDouble() < 0.33 ? (float)Math.Round(rng.NextDouble() * 2 - 1, 2) : float.NaN,
                };
                if (o.CategoricalSlots > 0 && rng.NextDouble() < 0.25)
                {
                    node.Feature = -catStarts.Count;
                    var size = 1 + rng.Next(Math.Min(3, o.CategoricalSlots));
                    var set = new SortedSet<int>();
                    while (set.Count < size) set.Add(o.NumericSlots + rng.Next(o.CategoricalSlots));
                    catSlots.AddRange(set);
                    catStarts.Add(catSlots.Count);
                    node.Threshold = 0.5f;
                    if (!float.IsNaN(node.MissingDefault)) node.MissingDefault = rng.NextDouble() < 0.5 ? 0f : 1f;
                }
                else
                {
                    node.Feature = rng.Next(o.NumericSlots);
                }
                nodes[n] = node;
                var spineSide = rng.Next(2);
                queue.Enqueue((children, d + 1, spine && spineSide == 0));
                queue.Enqueue((children + 1, d + 1, spine && spineSide == 1));
            }
            depths[t] = maxDepth;
        }
        var coverArray = cover.ToArray();
        var nodeArray = nodes.ToArray();
        foreach (var r in roots) FillCover(r);
        return new CompiledModel(CompiledModelKind.Trees, SlotCount(o), nodeArray, values.ToArray(), coverArray, roots, depths,
            catStarts.ToArray(), catSlots.ToArray(), [], 0, [], MlNetCalibratorKind.None, 0, 0, "synthetic");

        void Add()
        {
            nodes.Add(default);
            values.Add(0);
            cover.Add(0);
        }

        double FillCover(int n)
        {
            if (CompiledModel.IsLeaf(nodeArray, n))
                return coverArray[n] = rng.NextDouble() < o.ZeroCover ? 0 : 1 + rng.Next(200);
            var l = nodeArray[n].Children;
            return coverArray[n] = FillCover(l) + FillCover(l + 1);
        }
    }

    /// <summary>Rows of the model's slots: numbers around the thresholds, some NaN; categorical slots 0/1, some NaN.</summary>
    public static float[] Rows(int seed, Options o, int rows)
    {
        var rng = new Random(seed);
        var n = SlotCount(o);
        var m = new float[rows * n];
        for (var r = 0; r < rows; r++)
        {
            for (var i = 0; i < o.NumericSlots; i++)
                m[r * n + i] = rng.NextDouble() < 0.15 ? float.NaN : (float)Math.Round(rng.NextDouble() * 2.4 - 1.2, 2);
            for (var i = o.NumericSlots; i < n; i++)
                m[r * n + i] = rng.NextDouble() < 0.1 ? float.NaN : rng.NextDouble() < 0.3 ? 1f : 0f;
        }
        return m;
    }
}
