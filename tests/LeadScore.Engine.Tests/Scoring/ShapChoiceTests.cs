using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>
/// The per-tree choice of SHAP algorithm: a model whose trees are explained some by the precomputed tables and some by
/// Linear TreeSHAP is exact (brute-force Shapley values and plain TreeSHAP to 1e-9, depth-20 trees, missing values,
/// categorical sets), the two-row walk of Linear TreeSHAP gives the single-row bits at every block width, and the cost
/// model reads a tree's shape as documented.
/// </summary>
public sealed class ShapChoiceTests
{
    private const double Tolerance = 1e-9;

    [Theory]
    [InlineData(41, 0.0)]
    [InlineData(42, 0.15)]
    public void A_model_mixing_table_trees_and_Linear_TreeShap_trees_equals_brute_force_Shapley_values(int seed, double zeroCover)
    {
        // Given depth-20 trees over 10 numeric and 2 categorical slots (paths of more than 8 unique features: no tables)
        // beside trees 3 deep (tables), NaN defaults, rows with NaN and, for one seed, children no training row reached
        var o = new SyntheticTrees.Options { Trees = 4, Depth = 20, ShallowDepth = 3, NumericSlots = 10, CategoricalSlots = 2, MaxNodesPerTree = 400, ZeroCover = zeroCover };
        var model = SyntheticTrees.Build(seed, o);
        model.MaxDepth.ShouldBe(20);
        var mixed = FastTreeShap.Build(model, ShapMethod.TablesAndLinear);
        mixed.FastTrees.ShouldBe(2);
        mixed.LinearTrees.ShouldBe(2);
        mixed.UsesTables(0).ShouldBeTrue();
        mixed.UsesTables(1).ShouldBeFalse();
        var players = Enumerable.Range(0, model.SlotCount).ToArray();
        var n = model.SlotCount;
        var rows = SyntheticTrees.Rows(seed + 100, o, 6);
        var phi = new double[n];
        var plain = new double[n];
        for (var r = 0; r < 6; r++)
        {
            var x = rows.AsSpan(r * n, n).ToArray();
            // When
            Array.Clear(phi);
            mixed.Contributions(model, x, phi);
            Array.Clear(plain);
            model.TreeShapAllTrees(x, plain);
            var brute = LinearTreeShapTests.BruteForce(model, x, players);
            // Then
            for (var i = 0; i < n; i++)
            {
                phi[i].ShouldBe(brute[i], Tolerance, $"seed {seed} row {r} slot {i}");
                // Plain TreeSHAP divides by a zero cover fraction (NaN) where no training row went: brute force only there.
                if (zeroCover == 0) phi[i].ShouldBe(plain[i], Tolerance, $"seed {seed} row {r} slot {i} (plain TreeSHAP)");
            }
            (model.BaseValue + phi.Sum()).ShouldBe(model.MarginExact(x), Tolerance);
        }
    }

    [Fact]
    public void A_mixed_model_explains_a_block_of_rows_exactly_as_it_explains_each_row()
    {
        // Given the mixed explainer and an odd number of rows (the two-row walk ends on a single row)
        var o = new SyntheticTrees.Options { Trees = 6, Depth = 20, ShallowDepth = 4, NumericSlots = 12, CategoricalSlots = 4 };
        var model = SyntheticTrees.Build(43, o);
        var mixed = FastTreeShap.Build(model, ShapMethod.TablesAndLinear);
        mixed.FastTrees.ShouldBeGreaterThan(0);
        mixed.LinearTrees.ShouldBeGreaterThan(0);
        ShouldGiveRowBits(model, mixed, SyntheticTrees.Rows(44, o, 37));
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(7, 4)]
    [InlineData(10, 6)]
    [InlineData(19, 8)]
    [InlineData(400, 10)]
    public void The_two_row_walk_gives_the_single_row_bits_at_every_block_width(int slots, int points)
    {
        // Given one depth-20 tree over this many slots: its most unique features on a path set the quadrature points
        var o = new SyntheticTrees.Options { Trees = 3, Depth = 20, NumericSlots = slots, MaxNodesPerTree = 2000 };
        var model = SyntheticTrees.Build(50 + slots, o);
        // (10 points and more: the pair walk hands the tree to the single-row walk.)
        var linear = LinearTreeShap.Build(model);
        Enumerable.Range(0, model.TreeCount).Max(linear.Points).ShouldBe(points);
        // Then blocks of rows (walked two at a time) give exactly the contributions of rows one at a time
        ShouldGiveRowBits(model, FastTreeShap.Build(model, ShapMethod.Linear), SyntheticTrees.Rows(60 + slots, o, 25));
    }

    [Fact]
    public void Block_widths_go_by_two_points_up_to_16()
    {
        int[] expected = [2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14, 16, 16, 20, 20, 20, 20];
        for (var k = 1; k <= expected.Length; k++) LinearTreeShap.Width(k).ShouldBe(expected[k - 1], $"points {k}");
        LinearTreeShap.Width(33).ShouldBe(48);
        LinearTreeShap.Width(49).ShouldBe(64);
        LinearTreeShap.Width(65).ShouldBe(0);
    }

    [Fact]
    public void The_cost_model_reads_a_trees_shape()
    {
        // Given one tree: the root splits slot 0; its left child splits slot 0 again, its right child slot 1
        var nodes = new CompiledModel.Node[7];
        nodes[0] = new CompiledModel.Node { Feature = 0, Threshold = 0f, Children = 1, MissingDefault = float.NaN };
        nodes[1] = new CompiledModel.Node { Feature = 0, Threshold = -1f, Children = 3, MissingDefault = float.NaN };
        nodes[2] = new CompiledModel.Node { Feature = 1, Threshold = 0f, Children = 5, MissingDefault = float.NaN };
        for (var leaf = 3; leaf < 7; leaf++) nodes[leaf] = new CompiledModel.Node { Feature = 0, Threshold = float.NaN, Children = leaf - 1, MissingDefault = float.NaN };
        var model = new CompiledModel(CompiledModelKind.Trees, 2, nodes, [0, 0, 0, 1, 2, 3, 4], [10, 6, 4, 3, 3, 2, 2], [0], [2],
            [0], [], [], 0, [], MlNetCalibratorKind.None, 0, 0, "hand-made");
        // When
        var s = ShapCostModel.Shape(model, 0);
        // Then: leaves with paths {0}, {0}, {0, 1}, {0, 1}; tables of 1 x 2 + 1 x 2 + 2 x 4 + 2 x 4 numbers
        s.ShouldBe(new ShapCostModel.TreeShape(Inner: 3, Leaves: 4, SumLeafUnique: 6, MaxUnique: 2, TableDoubles: 20));
        s.Points.ShouldBe(2);
        ShapCostModel.Linear(s).ShouldBe(6 * (ShapCostModel.LinearPerEdge + 2 * ShapCostModel.LinearPerPointEdge), 1e-12);
        ShapCostModel.Tables(s).ShouldBe(7 * ShapCostModel.TablePerNode + 6 * ShapCostModel.TablePerRead, 1e-12);
        // As fitted (benchmarks shap-trees), Linear TreeSHAP is the cheaper even here, so the default explainer uses it
        ShapCostModel.TablesCheaper(model, 0).ShouldBeFalse();
        FastTreeShap.Build(model).FastTrees.ShouldBe(0);
        // And a tree too deep for the tables never gets them
        ShapCostModel.Tables(s with { MaxUnique = FastTreeShap.MaxUniqueFeatures + 1 }).ShouldBe(double.PositiveInfinity);
    }

    [Fact]
    public void The_default_explainer_follows_the_cost_model_tree_by_tree_and_agrees_with_plain_TreeShap()
    {
        var o = new SyntheticTrees.Options { Trees = 6, Depth = 20, ShallowDepth = 2, NumericSlots = 12, CategoricalSlots = 4 };
        var model = SyntheticTrees.Build(45, o);
        var auto = FastTreeShap.Build(model, ShapMethod.Auto);
        for (var t = 0; t < model.TreeCount; t++) auto.UsesTables(t).ShouldBe(ShapCostModel.TablesCheaper(model, t), $"tree {t}");
        var n = model.SlotCount;
        var rows = SyntheticTrees.Rows(46, o, 20);
        var phi = new double[n];
        var plain = new double[n];
        for (var r = 0; r < 20; r++)
        {
            var x = rows.AsSpan(r * n, n);
            Array.Clear(phi);
            auto.Contributions(model, x, phi);
            Array.Clear(plain);
            model.TreeShapAllTrees(x, plain);
            for (var i = 0; i < n; i++) phi[i].ShouldBe(plain[i], Tolerance, $"row {r} slot {i}");
        }
    }

    private static void ShouldGiveRowBits(CompiledModel model, FastTreeShap shap, float[] matrix)
    {
        var n = model.SlotCount;
        var rows = matrix.Length / n;
        var block = new double[matrix.Length];
        shap.ContributionsBlock(model, matrix, block, rows);
        var one = new double[n];
        for (var r = 0; r < rows; r++)
        {
            Array.Clear(one);
            shap.Contributions(model, matrix.AsSpan(r * n, n), one);
            for (var i = 0; i < n; i++) block[r * n + i].ShouldBe(one[i], $"row {r} slot {i}");
        }
    }
}
