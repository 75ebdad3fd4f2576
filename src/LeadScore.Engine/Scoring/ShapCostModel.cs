namespace LeadScore.Engine.Scoring;

/// <summary>
/// Which exact SHAP algorithm explains a tree faster, from the tree's shape alone (so the choice is the same on
/// every run and machine, and a row and a block of rows take the same path).
/// <para>
/// Both walk every node of the tree for each row. Linear TreeSHAP does a few vector operations per edge on K doubles
/// (K, the quadrature points, is about half the most unique features on a path, rounded up to 2): cost
/// <c>E (a + b K)</c> for E edges. The tables test every node and read D numbers per leaf (D, the leaf's unique path
/// features): cost <c>N c + S d</c> for N nodes and S the sum of D over the leaves. The constants are nanoseconds
/// per row, fitted by least squares to per-tree timings of both algorithms (benchmarks <c>shap-trees</c>, 2026-12-01,
/// the 600 trees of FastForest 200 x 16, FastForest 100 x 32 and the 300 x 31 LightGBM model auto picks on bank).
/// With these constants Linear TreeSHAP is cheaper on every tree shape (a node costs the tables more than an edge
/// costs Linear TreeSHAP, even at 2 points), as measured: the tables were faster on 2 of those 600 trees, by less
/// than the timing noise. Refit the constants with <c>shap-trees</c> on another processor.
/// </para>
/// </summary>
internal static class ShapCostModel
{
    public const double LinearPerEdge = 3.1;
    public const double LinearPerPointEdge = 0.77;
    public const double TablePerNode = 4.9;
    public const double TablePerRead = 1.7;

    /// <summary>The shape of one tree, as the costs read it.</summary>
    internal readonly record struct TreeShape(int Inner, int Leaves, int SumLeafUnique, int MaxUnique, long TableDoubles)
    {
        /// <summary>Quadrature points Linear TreeSHAP uses for this tree.</summary>
        public int Points => LinearTreeShap.Width(Math.Max(1, (MaxUnique + 1) / 2));
    }

    public static TreeShape Shape(CompiledModel model, int tree)
    {
        int inner = 0, leaves = 0, sum = 0, max = 0;
        long table = 0;
        var path = new List<int>();
        Walk(model.TreeRoots[tree]);
        return new TreeShape(inner, leaves, sum, max, table);

        void Walk(int n)
        {
            if (CompiledModel.IsLeaf(model.Nodes, n))
            {
                leaves++;
                sum += path.Count;
                max = Math.Max(max, path.Count);
                table += (long)path.Count << Math.Min(path.Count, 40);
                return;
            }
            inner++;
            var slot = model.SplitSlot(n);
            var added = !path.Contains(slot);
            if (added) path.Add(slot);
            var l = model.Nodes[n].Children;
            Walk(l);
            Walk(l + 1);
            if (added) path.RemoveAt(path.Count - 1);
        }
    }

    /// <summary>Estimated nanoseconds per row of Linear TreeSHAP on a tree of this shape.</summary>
    public static double Linear(TreeShape s) => 2.0 * s.Inner * (LinearPerEdge + LinearPerPointEdge * s.Points);

    /// <summary>Estimated nanoseconds per row of the tables on a tree of this shape (infinite when its paths are too deep for tables).</summary>
    public static double Tables(TreeShape s) =>
        s.MaxUnique > FastTreeShap.MaxUniqueFeatures ? double.PositiveInfinity : (s.Inner + s.Leaves) * TablePerNode + s.SumLeafUnique * TablePerRead;

    /// <summary>Whether the tables explain tree <paramref name="tree"/> faster than Linear TreeSHAP.</summary>
    public static bool TablesCheaper(CompiledModel model, int tree)
    {
        var s = Shape(model, tree);
        return s.Inner > 0 && Tables(s) < Linear(s);
    }
}
