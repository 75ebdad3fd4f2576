using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>TreeSHAP and linear contributions are exact: they add up and equal brute-force Shapley values.</summary>
public sealed class ShapTests
{
    [Fact]
    public void Base_plus_contributions_equals_the_margin_for_LightGbm_rows_with_missing_values()
    {
        var t = BankModels.Train(BankModels.WithMissing(0, 5000), ml => BankModels.LightGbm(ml, trees: 30, leaves: 31));
        var model = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        ShouldAddUp(model, t.Encoder.EncodeAll(BankModels.WithMissing(20000, 500)));
    }

    [Fact]
    public void Base_plus_contributions_equals_the_margin_for_FastTree_and_FastForest()
    {
        var ft = BankModels.Train(BankModels.Sample(10), ml => BankModels.FastTree(ml));
        ShouldAddUp(CompiledModel.FromMlNet(ft.Model, ft.Training, ft.Encoder.SlotCount), ft.Encoder.EncodeAll(BankModels.WithMissing(30000, 300)));
        var ff = BankModels.Train(BankModels.Sample(10), ml => BankModels.FastForest(ml));
        ShouldAddUp(CompiledModel.FromMlNet(ff.Model, ff.Training, ff.Encoder.SlotCount), ff.Encoder.EncodeAll(BankModels.WithMissing(30000, 300)));
    }

    [Fact]
    public void Linear_contributions_add_up_and_are_weight_times_distance_from_the_mean()
    {
        var t = BankModels.Train(BankModels.WithMissing(0, 5000), ml => BankModels.Logistic(ml), standardize: true);
        var model = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        var test = t.Encoder.EncodeAll(BankModels.WithMissing(20000, 300));
        ShouldAddUp(model, test);
        var n = model.SlotCount;
        var phi = new double[n];
        model.Contributions(test.AsSpan(0, n), phi, out _);
        for (var i = 0; i < n; i++) phi[i].ShouldBe(model.Weights[i] * (test[i] - model.SlotMeans[i]), 1e-12);
    }

    [Fact]
    public void TreeShap_equals_brute_force_Shapley_values_on_a_small_ensemble()
    {
        // Given a small LightGBM ensemble whose trees share features (so paths repeat features) and see NaN
        var t = BankModels.Train(BankModels.WithMissing(0, 3000), ml => BankModels.LightGbm(ml, trees: 4, leaves: 6));
        var model = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        var used = Enumerable.Range(0, model.Nodes.Length).Where(n => !CompiledModel.IsLeaf(model.Nodes, n)).Select(model.SplitSlot).Distinct().ToArray();
        used.Length.ShouldBeInRange(3, 14);
        var test = t.Encoder.EncodeAll(BankModels.WithMissing(21000, 40));
        var n = model.SlotCount;
        var phi = new double[n];
        for (var r = 0; r < 40; r++)
        {
            var x = test.AsSpan(r * n, n).ToArray();
            // When
            model.Contributions(x, phi, out var baseValue);
            var brute = BruteForceShapley(model, x, used);
            // Then
            baseValue.ShouldBe(ExpectedValue(model, x, new HashSet<int>()), 1e-9);
            for (var i = 0; i < n; i++) phi[i].ShouldBe(brute.GetValueOrDefault(i), 1e-9, $"row {r} slot {i}");
        }
    }

    internal static void ShouldAddUp(CompiledModel model, float[] matrix)
    {
        var n = model.SlotCount;
        var phi = new double[n];
        var rows = matrix.Length / n;
        for (var r = 0; r < rows; r++)
        {
            var x = matrix.AsSpan(r * n, n);
            model.Contributions(x, phi, out var baseValue);
            (baseValue + phi.Sum()).ShouldBe(model.Margin(x), 1e-6, $"row {r}");
        }
    }

    /// <summary>Shapley values by enumerating every subset of the used slots (2^M value-function calls).</summary>
    private static Dictionary<int, double> BruteForceShapley(CompiledModel model, float[] x, int[] players)
    {
        var m = players.Length;
        var values = new double[1 << m];
        for (var mask = 0; mask < 1 << m; mask++)
        {
            var set = new HashSet<int>();
            for (var j = 0; j < m; j++) if ((mask & (1 << j)) != 0) set.Add(players[j]);
            values[mask] = ExpectedValue(model, x, set);
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
    /// Path-dependent conditional expectation E[f(x) | x_S] (Lundberg et al., algorithm 1): follow the
    /// row where the split's slot is known, else average both children by training cover.
    /// </summary>
    private static double ExpectedValue(CompiledModel model, float[] x, IReadOnlySet<int> known)
    {
        double total = 0;
        foreach (var root in model.TreeRoots) total += Expect(root);
        return total;

        double Expect(int node)
        {
            if (CompiledModel.IsLeaf(model.Nodes, node)) return model.Values[node];
            if (known.Contains(model.SplitSlot(node))) return Expect(model.Next(node, x));
            var left = model.Nodes[node].Children;
            var c = model.Cover[node];
            return (model.Cover[left] * Expect(left) + model.Cover[left + 1] * Expect(left + 1)) / c;
        }
    }
}

public sealed class FastTreeShapTests
{
    [Fact]
    public void Precomputed_tables_give_the_same_values_as_plain_TreeShap()
    {
        // Given trees deep enough that paths repeat features, with NaN in the rows
        var t = BankModels.Train(BankModels.WithMissing(0, 5000), ml => BankModels.LightGbm(ml, trees: 25, leaves: 20));
        var model = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        var tables = FastTreeShap.Build(model, ShapMethod.TablesAndPlain);
        tables.FastTrees.ShouldBeGreaterThan(0);
        var test = t.Encoder.EncodeAll(BankModels.WithMissing(25000, 300));
        var n = model.SlotCount;
        var fast = new double[n];
        var plain = new double[n];
        for (var r = 0; r < 300; r++)
        {
            var x = test.AsSpan(r * n, n);
            Array.Clear(fast);
            tables.Contributions(model, x, fast);
            Array.Clear(plain);
            model.TreeShapAllTrees(x, plain);
            for (var i = 0; i < n; i++) fast[i].ShouldBe(plain[i], 1e-9, $"row {r} slot {i}");
        }
    }
}

public sealed class BlockContributionsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Block_contributions_equal_row_by_row_contributions(bool linear)
    {
        var t = linear
            ? BankModels.Train(BankModels.Sample(10), ml => BankModels.Logistic(ml), standardize: true)
            : BankModels.Train(BankModels.WithMissing(0, 4000), ml => BankModels.LightGbm(ml, trees: 20, leaves: 24));
        var model = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        var n = model.SlotCount;
        var matrix = t.Encoder.EncodeAll(BankModels.WithMissing(15000, 100));
        var block = new double[matrix.Length];
        model.Contributions(matrix, block);
        var one = new double[n];
        for (var r = 0; r < 100; r++)
        {
            model.Contributions(matrix.AsSpan(r * n, n), one, out _);
            for (var i = 0; i < n; i++) block[r * n + i].ShouldBe(one[i], 1e-12);
        }
    }
}
