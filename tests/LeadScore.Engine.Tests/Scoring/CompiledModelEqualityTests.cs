using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using Microsoft.ML;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>The compiled scorer gives ML.NET's score and probability, row for row.</summary>
public sealed class CompiledModelEqualityTests
{
    private static (float[] Scores, float[] Probabilities, float[] Matrix) ScoreWithMlNet(BankModels.Trained t, FeatureFrame test)
    {
        var matrix = t.Encoder.EncodeAll(test);
        var scored = t.Model.Transform(MlNetFitter.ToDataView(t.Ml, matrix, t.Encoder.SlotCount));
        var probs = scored.Schema.GetColumnOrNull("Probability") is null ? [] : MlNetFitter.Column(scored, "Probability");
        return (MlNetFitter.Column(scored, "Score"), probs, matrix);
    }

    private static void ShouldMatch(BankModels.Trained t, FeatureFrame test, bool bitExactScore = true)
    {
        var compiled = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        var (scores, probs, matrix) = ScoreWithMlNet(t, test);
        var n = t.Encoder.SlotCount;
        var batch = new double[test.Count];
        compiled.Margins(matrix, batch);
        for (var r = 0; r < test.Count; r++)
        {
            var x = matrix.AsSpan(r * n, n);
            var margin = compiled.Margin(x);
            if (bitExactScore) margin.ShouldBe(scores[r], $"row {r}");
            else margin.ShouldBe(scores[r], 1e-5, $"row {r}");
            batch[r].ShouldBe(margin, $"batch row {r}");
            if (probs.Length > 0) compiled.MlNetProbability(x).ShouldBe(probs[r], 1e-6, $"row {r}");
        }
    }

    [Fact]
    public void LightGbm_scores_and_probabilities_equal_MlNet_including_missing_values()
    {
        // Given a LightGBM model trained on rows where numbers are missing
        var t = BankModels.Train(BankModels.WithMissing(0, 6000), ml => BankModels.LightGbm(ml));
        // Then the compiled model gives ML.NET's score bit for bit, on other rows with missing values too
        ShouldMatch(t, BankModels.WithMissing(20000, 3000));
    }

    [Fact]
    public void LightGbm_missing_defaults_are_read_so_nan_rows_are_routed_like_MlNet()
    {
        var t = BankModels.Train(BankModels.WithMissing(0, 6000), ml => BankModels.LightGbm(ml));
        var compiled = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        // The model must carry at least one real default, or the NaN test above proves nothing.
        compiled.Nodes.Any(n => !float.IsNaN(n.MissingDefault)).ShouldBeTrue();
    }

    [Fact]
    public void FastTree_scores_and_probabilities_equal_MlNet()
    {
        var t = BankModels.Train(BankModels.Sample(7), ml => BankModels.FastTree(ml));
        ShouldMatch(t, BankModels.WithMissing(30000, 3000));
    }

    [Fact]
    public void FastForest_scores_equal_MlNet()
    {
        var t = BankModels.Train(BankModels.Sample(7), ml => BankModels.FastForest(ml));
        ShouldMatch(t, BankModels.WithMissing(30000, 2000));
    }

    [Fact]
    public void Logistic_regression_probabilities_equal_MlNet()
    {
        var t = BankModels.Train(BankModels.WithMissing(0, 6000), ml => BankModels.Logistic(ml), standardize: true);
        var compiled = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        compiled.Kind.ShouldBe(CompiledModelKind.Linear);
        ShouldMatch(t, BankModels.WithMissing(20000, 3000), bitExactScore: false);
    }

    [Fact]
    public void LightGbm_equals_MlNet_on_every_bank_row()
    {
        var t = BankModels.Train(BankModels.Sample(8), ml => BankModels.LightGbm(ml, trees: 50, leaves: 31));
        ShouldMatch(t, BankModels.Frame);
    }
}

public sealed class CompiledModelSerializationTests
{
    [Fact]
    public void Deserialized_model_scores_like_the_original()
    {
        var t = BankModels.Train(BankModels.WithMissing(0, 4000), ml => BankModels.LightGbm(ml));
        var compiled = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        var copy = CompiledModel.Deserialize(compiled.Serialize());
        var test = t.Encoder.EncodeAll(BankModels.WithMissing(10000, 1000));
        var n = t.Encoder.SlotCount;
        copy.BaseValue.ShouldBe(compiled.BaseValue);
        copy.Algorithm.ShouldBe(compiled.Algorithm);
        for (var r = 0; r < 1000; r++)
        {
            var x = test.AsSpan(r * n, n);
            copy.Margin(x).ShouldBe(compiled.Margin(x));
            copy.MlNetProbability(x).ShouldBe(compiled.MlNetProbability(x));
        }
    }

    [Fact]
    public void Deserialized_linear_model_scores_like_the_original()
    {
        var t = BankModels.Train(BankModels.Sample(10), ml => BankModels.Logistic(ml), standardize: true);
        var compiled = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        var copy = CompiledModel.Deserialize(compiled.Serialize());
        var x = t.Training.AsSpan(0, t.Encoder.SlotCount);
        copy.Margin(x).ShouldBe(compiled.Margin(x));
        copy.Kind.ShouldBe(CompiledModelKind.Linear);
    }

    [Fact]
    public void Corrupt_bytes_are_rejected_with_InvalidDataException()
    {
        Should.Throw<InvalidDataException>(() => CompiledModel.Deserialize([1, 2, 3, 4, 5, 6, 7, 8]));
        var t = BankModels.Train(BankModels.Sample(20), ml => BankModels.LightGbm(ml, trees: 3));
        var bytes = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount).Serialize();
        Should.Throw<InvalidDataException>(() => CompiledModel.Deserialize(bytes[..(bytes.Length / 2)]));
    }
}
