namespace LeadScore.Engine.Scoring;

/// <summary>
/// Which exact SHAP algorithm explains a tree faster, from the tree's shape alone (so the choice is the same on
/// every run and machine, and a row and a block of rows take the same path).
/// <para>
/// Both walk every node of the tree for each row. Linear TreeSHAP then does a few vector operations per edge on
/// K doubles (K, the quadrature points, is about half the most unique features on a path, rounded up to 2):
/// cost <c>E (a + b K)</c> for E edges. The tables read D numbers per leaf (D, the leaf's unique path features):
/// cost <c>I c + L d + S e</c> for I inner nodes, L leaves and S the sum of D over the leaves, plus a cache miss
/// per leaf (<c>L m</c>) when the tree's table (sum of D 2^D doubles) is larger than the cache a block of rows
/// keeps it in. The constants are nanoseconds per row, fitted to per-tree timings (benchmarks <c>shap-trees</c>).
/// </para>
/// </summary>
internal static class ShapCostModel
{
    public const double LinearPerEdge = 2.0;
    public const double LinearPerPointEdge = 1.2;
    public const double TablePerInner = 4.0;
    public const double TablePerLeaf = 2.0;
    public const double TablePerRead = 1.0;
    public const double TableMissPerLeaf = 10.0;
    /// <summary>Tables up to this many bytes per tree stay in the core's first-level cache while a block of rows reads them.</summary>
    public const long CachedTableBytes = 32 << 10;

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
    public static double Tables(TreeShape s)
    {
        if (s.MaxUnique > FastTreeShap.MaxUniqueFeatures) return double.PositiveInfinity;
        var cost = s.Inner * TablePerInner + s.Leaves * TablePerLeaf + s.SumLeafUnique * TablePerRead;
        if (s.TableDoubles * sizeof(double) > CachedTableBytes) cost += s.Leaves * TableMissPerLeaf;
        return cost;
    }

    /// <summary>Whether the tables explain tree <paramref name="tree"/> faster than Linear TreeSHAP.</summary>
    public static bool TablesCheaper(CompiledModel model, int tree)
    {
        var s = Shape(model, tree);
        return s.Inner > 0 && Tables(s) < Linear(s);
    }
}
