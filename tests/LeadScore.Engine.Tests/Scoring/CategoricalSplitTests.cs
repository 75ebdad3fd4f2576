using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>
/// Categorical splits, built by hand: ML.NET only makes them with categorical slot metadata, which
/// LeadScore's single "Features" column does not carry, so they are checked against ML.NET's rule
/// (right when any slot of the set is &gt; 0, NaN replaced by the node default first).
/// </summary>
public sealed class CategoricalSplitTests
{
    // Tree: root splits on the set {1, 2} (slots of one one-hot feature); its right child splits on slot 0 <= 0.5.
    //   node 0: categorical {1,2}, children 1 (left leaf, -1.0) and 2 (numeric)
    //   node 2: slot 0 <= 0.5, children 3 (leaf 0.5) and 4 (leaf 2.0)
    private static CompiledModel Model(float categoricalDefault)
    {
        var nodes = new CompiledModel.Node[]
        {
            new() { Feature = -1, Threshold = 0.5f, Children = 1, MissingDefault = categoricalDefault },
            new() { Feature = 0, Threshold = float.NaN, Children = 0, MissingDefault = float.NaN },
            new() { Feature = 0, Threshold = 0.5f, Children = 3, MissingDefault = float.NaN },
            new() { Feature = 0, Threshold = float.NaN, Children = 2, MissingDefault = float.NaN },
            new() { Feature = 0, Threshold = float.NaN, Children = 3, MissingDefault = float.NaN },
        };
        double[] values = [0, -1.0, 0, 0.5, 2.0];
        double[] cover = [100, 60, 40, 30, 10];
        return new CompiledModel(CompiledModelKind.Trees, 3, nodes, values, cover, [0], [2], [0, 2], [1, 2],
            [], 0, [], MlNetCalibratorKind.None, 0, 0, "hand-made");
    }

    [Theory]
    [InlineData(0f, 0f, 0f, -1.0)]
    [InlineData(0f, 1f, 0f, 0.5)]
    [InlineData(1f, 0f, 1f, 2.0)]
    [InlineData(0f, -1f, 0f, -1.0)]
    [InlineData(0f, float.NaN, 0f, -1.0)]
    public void Categorical_split_goes_right_when_any_slot_of_its_set_is_positive(float s0, float s1, float s2, double expected)
    {
        var model = Model(float.NaN);
        model.Margin([s0, s1, s2]).ShouldBe(expected);
        var margins = new double[1];
        model.Margins([s0, s1, s2], margins);
        margins[0].ShouldBe(expected);
    }

    [Fact]
    public void Missing_slot_in_a_categorical_set_takes_the_node_default()
    {
        Model(1f).Margin([0f, float.NaN, 0f]).ShouldBe(0.5);
    }

    [Fact]
    public void Contributions_of_categorical_splits_add_up_and_go_to_the_first_slot_of_the_set()
    {
        var model = Model(float.NaN);
        var phi = new double[3];
        model.Contributions([1f, 0f, 1f], phi, out var baseValue);
        baseValue.ShouldBe(0.6 * -1.0 + 0.4 * (0.75 * 0.5 + 0.25 * 2.0), 1e-12);
        (baseValue + phi.Sum()).ShouldBe(2.0, 1e-12);
        phi[2].ShouldBe(0);
        phi[1].ShouldBeGreaterThan(0);
        var copy = CompiledModel.Deserialize(model.Serialize());
        copy.Margin([0f, 0f, 1f]).ShouldBe(model.Margin([0f, 0f, 1f]));
    }
}
