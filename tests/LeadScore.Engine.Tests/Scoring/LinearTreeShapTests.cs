using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>
/// Linear TreeSHAP is exact: it equals brute-force Shapley values (every subset of the features, under
/// TreeSHAP's path-dependent value function) and plain TreeSHAP to 1e-9, on seeded random trees of
/// depth 20 with repeated features, missing values, categorical splits and empty children, and on
/// LightGBM, FastTree and FastForest models.
/// </summary>
public sealed class LinearTreeShapTests
{
    private const double Tolerance = 1e-9;

    [Fact]
    public void Gauss_Legendre_points_integrate_every_power_up_to_degree_2k_minus_1_exactly()
    {
        for (var k = 1; k <= 40; k++)
        {
            var (t, w) = LinearTreeShap.GaussLegendre(k);
            w.Sum().ShouldBe(1, 1e-14, $"k={k}");
            for (var j = 0; j < k; j++)
            {
                t[j].ShouldBeInRange(0, 1);
                w[j].ShouldBeGreaterThan(0);
                if (j > 0) t[j].ShouldBeGreaterThan(t[j - 1]);
            }
            for (var m = 0; m <= 2 * k - 1; m++)
            {
                double q = 0;
                for (var j = 0; j < k; j++) q += w[j] * Math.Pow(t[j], m);
                q.ShouldBe(1.0 / (m + 1), 1e-14, $"k={k} m={m}");
            }
            // And not beyond: degree 2k is no longer exact (for few points the error shows in double).
            if (k > 6) continue;
            double beyond = 0;
            for (var j = 0; j < k; j++) beyond += w[j] * Math.Pow(t[j], 2 * k);
            Math.Abs(beyond - 1.0 / (2 * k + 1)).ShouldBeGreaterThan(1e-9, $"k={k}");
        }
    }

    [Theory]
    [InlineData(1, 8, 4, 0.0)]
    [InlineData(2, 6, 4, 0.0)]
    [InlineData(3, 3, 0, 0.0)]
    [InlineData(4, 2, 2, 0.0)]
    [InlineData(5, 7, 4, 0.15)]
    public void Linear_TreeShap_equals_brute_force_Shapley_values_on_depth_20_trees(int seed, int numeric, int categorical, double zeroCover)
    {
        // Given seeded depth-20 trees over few slots (so paths repeat features), with NaN defaults,
        // categorical sets, rows with NaN and, for one seed, children no training row reached
        var o = new SyntheticTrees.Options { Trees = 2, Depth = 20, NumericSlots = numeric, CategoricalSlots = categorical, MaxNodesPerTree = 500, ZeroCover = zeroCover };
        var model = SyntheticTrees.Build(seed, o);
        model.MaxDepth.ShouldBe(20);
        var shap = FastTreeShap.Build(model, ShapMethod.Linear);
        shap.LinearTrees.ShouldBe(2);
        var players = Players(model);
        var n = model.SlotCount;
        var rows = SyntheticTrees.Rows(seed + 100, o, 8);
        var phi = new double[n];
        for (var r = 0; r < 8; r++)
        {
            var x = rows.AsSpan(r * n, n).ToArray();
            // When
            Array.Clear(phi);
            shap.Contributions(model, x, phi);
            var brute = BruteForce(model, x, players);
            // Then
            for (var i = 0; i < n; i++) phi[i].ShouldBe(brute.GetValueOrDefault(i), Tolerance, $"seed {seed} row {r} slot {i}");
            (model.BaseValue + phi.Sum()).ShouldBe(model.MarginExact(x), Tolerance);
        }
    }

    [Theory]
    [InlineData(11, 24, 4, 13)]
    [InlineData(12, 12, 6, 9)]
    [InlineData(13, 400, 0, 19)]
    public void Linear_TreeShap_equals_plain_TreeShap_on_depth_20_trees_with_up_to_20_unique_features_on_a_path(int seed, int numeric, int categorical, int minUnique)
    {
        var o = new SyntheticTrees.Options { Trees = 4, Depth = 20, NumericSlots = numeric, CategoricalSlots = categorical, MaxNodesPerTree = 3000 };
        var model = SyntheticTrees.Build(seed, o);
        var linear = FastTreeShap.Build(model, ShapMethod.Linear);
        // Deep paths with many unique features: two or three vectors of quadrature points per polynomial.
        model.TreeRoots.Max(root => LinearTreeShap.MaxUnique(model, root, [])).ShouldBeGreaterThanOrEqualTo(minUnique);
        var n = model.SlotCount;
        var rows = SyntheticTrees.Rows(seed + 100, o, 60);
        var fast = new double[n];
        var plain = new double[n];
        for (var r = 0; r < 60; r++)
        {
            var x = rows.AsSpan(r * n, n);
            Array.Clear(fast);
            linear.Contributions(model, x, fast);
            Array.Clear(plain);
            model.TreeShapAllTrees(x, plain);
            for (var i = 0; i < n; i++) fast[i].ShouldBe(plain[i], Tolerance, $"seed {seed} row {r} slot {i}");
            (model.BaseValue + fast.Sum()).ShouldBe(model.MarginExact(x), Tolerance, $"row {r}");
        }
    }

    [Fact]
    public void A_feature_split_on_again_and_again_along_a_path_is_charged_once_exactly()
    {
        // Two slots and depth 20: every path repeats both many times.
        var o = new SyntheticTrees.Options { Trees = 1, Depth = 20, NumericSlots = 2, MaxNodesPerTree = 400 };
        var model = SyntheticTrees.Build(21, o);
        var shap = FastTreeShap.Build(model, ShapMethod.Linear);
        var rows = SyntheticTrees.Rows(22, o, 30);
        var phi = new double[2];
        for (var r = 0; r < 30; r++)
        {
            var x = rows.AsSpan(r * 2, 2).ToArray();
            Array.Clear(phi);
            shap.Contributions(model, x, phi);
            var brute = BruteForce(model, x, [0, 1]);
            phi[0].ShouldBe(brute[0], Tolerance);
            phi[1].ShouldBe(brute[1], Tolerance);
        }
    }

    [Fact]
    public void The_default_explainer_is_Linear_TreeShap_on_every_tree_and_agrees_with_plain_TreeShap()
    {
        // Given a LightGBM model of 63 leaves (as auto picked on bank), rows with missing values
        var t = BankModels.Train(BankModels.WithMissing(0, 6000), ml => BankModels.LightGbm(ml, trees: 20, leaves: 63));
        var model = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        model.FastShap.LinearTrees.ShouldBe(model.TreeCount);
        model.FastShap.FastTrees.ShouldBe(0);
        ShouldMatchPlain(model, t.Encoder.EncodeAll(BankModels.WithMissing(25000, 200)), model.FastShap);
    }

    [Fact]
    public void Tables_with_Linear_TreeShap_where_they_do_not_fit_agree_with_plain_TreeShap()
    {
        var t = BankModels.Train(BankModels.WithMissing(0, 6000), ml => BankModels.LightGbm(ml, trees: 20, leaves: 24));
        var model = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        var mixed = FastTreeShap.Build(model, ShapMethod.TablesAndLinear);
        mixed.FastTrees.ShouldBeGreaterThan(0);
        mixed.LinearTrees.ShouldBeGreaterThan(0);
        ShouldMatchPlain(model, t.Encoder.EncodeAll(BankModels.WithMissing(25000, 200)), mixed);
    }

    [Fact]
    public void Linear_TreeShap_agrees_with_plain_TreeShap_on_LightGbm_FastTree_and_FastForest()
    {
        var test = BankModels.WithMissing(30000, 150);
        var lgbm = BankModels.Train(BankModels.WithMissing(0, 4000), ml => BankModels.LightGbm(ml, trees: 15, leaves: 40));
        var ft = BankModels.Train(BankModels.Sample(10), ml => BankModels.FastTree(ml, trees: 15, leaves: 24));
        var ff = BankModels.Train(BankModels.Sample(10), ml => BankModels.FastForest(ml, trees: 15, leaves: 32));
        foreach (var t in new[] { lgbm, ft, ff })
        {
            var model = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
            var linear = FastTreeShap.Build(model, ShapMethod.Linear);
            linear.LinearTrees.ShouldBe(model.TreeCount);
            ShouldMatchPlain(model, t.Encoder.EncodeAll(test), linear);
        }
    }

    [Fact]
    public void Block_contributions_with_linear_trees_equal_row_by_row_contributions()
    {
        var o = new SyntheticTrees.Options { Trees = 5, Depth = 20, NumericSlots = 16, CategoricalSlots = 4 };
        var model = SyntheticTrees.Build(31, o);
        model.FastShap.LinearTrees.ShouldBeGreaterThan(0);
        var n = model.SlotCount;
        var matrix = SyntheticTrees.Rows(32, o, 50);
        var block = new double[matrix.Length];
        model.Contributions(matrix, block);
        var one = new double[n];
        for (var r = 0; r < 50; r++)
        {
            model.Contributions(matrix.AsSpan(r * n, n), one, out _);
            for (var i = 0; i < n; i++) block[r * n + i].ShouldBe(one[i], 1e-12);
        }
    }

    private static void ShouldMatchPlain(CompiledModel model, float[] matrix, FastTreeShap shap)
    {
        var n = model.SlotCount;
        var fast = new double[n];
        var plain = new double[n];
        for (var r = 0; r < matrix.Length / n; r++)
        {
            var x = matrix.AsSpan(r * n, n);
            Array.Clear(fast);
            shap.Contributions(model, x, fast);
            Array.Clear(plain);
            model.TreeShapAllTrees(x, plain);
            for (var i = 0; i < n; i++) fast[i].ShouldBe(plain[i], Tolerance, $"{model.Algorithm} row {r} slot {i}");
            (model.BaseValue + fast.Sum()).ShouldBe(model.MarginExact(x), Tolerance, $"{model.Algorithm} row {r}");
        }
    }

    private static int[] Players(CompiledModel model)
    {
        var set = new SortedSet<int>();
        for (var n = 0; n < model.Nodes.Length; n++)
            if (!CompiledModel.IsLeaf(model.Nodes, n)) set.Add(model.SplitSlot(n));
        return [.. set];
    }

    /// <summary>Shapley values by enumerating every subset of the players (2^M value-function calls).</summary>
    internal static Dictionary<int, double> BruteForce(CompiledModel model, float[] x, int[] players)
    {
        var m = players.Length;
        var values = new double[1 << m];
        var known = new HashSet<int>();
        for (var mask = 0; mask < 1 << m; mask++)
        {
            known.Clear();
            for (var j = 0; j < m; j++) if ((mask & (1 << j)) != 0) known.Add(players[j]);
            double total = 0;
            foreach (var root in model.TreeRoots) total += Expect(model, x, known, root);
            values[mask] = total;
        }
        var fact = new double[m + 1];
        fact[0] = 1;
        for (var k = 1; k <= m; k++) fact[k] = fact[k - 1] * k;
        var phi = new Dictionary<int, double>();
        for (var i = 0; i < m; i++)
        {
            double s = 0;
            for (var mask = 0; mask < 1 << m; mask++)
            {
                if ((mask & (1 << i)) != 0) continue;
                var size = System.Numerics.BitOperations.PopCount((uint)mask);
                s += fact[size] * fact[m - size - 1] / fact[m] * (values[mask | (1 << i)] - values[mask]);
            }
            phi[players[i]] = s;
        }
        return phi;
    }

    /// <summary>
    /// TreeSHAP's value function E[f(x) | x_S] (Lundberg et al., algorithm 1): follow the row where the
    /// split's slot is known (by the model's own routing), else average the children by cover fraction.
    /// </summary>
    private static double Expect(CompiledModel model, float[] x, HashSet<int> known, int node)
    {
        if (CompiledModel.IsLeaf(model.Nodes, node)) return model.Values[node];
        if (known.Contains(model.SplitSlot(node))) return Expect(model, x, known, model.Next(node, x));
        var left = model.Nodes[node].Children;
        var (zl, zr) = model.ZeroFractions(node);
        return zl * Expect(model, x, known, left) + zr * Expect(model, x, known, left + 1);
    }
}
