using System.Globalization;
using System.Text.Json;
using LeadScore.Engine.Modeling;
using LeadScore.TestKit;

namespace LeadScore.Engine.Tests.Modeling;

/// <summary>Fixed seed, one thread: the same input gives the same model and metrics, checked against a baseline file.</summary>
public sealed class DeterminismTests
{
    private static TrainingResult TrainFixed()
    {
        var ctx = new ModelingContext();
        return ctx.Train(ModelingData.Sample(ModelingData.Bank, 3000), new TrainingOptions
        {
            Algorithm = ModelAlgorithm.LightGbm,
            MaxTrials = 1,
            TimeBudget = TimeSpan.FromMinutes(10),
            Threads = 1,
            ImportanceRows = 0,
            Seed = 11,
        }, ct: TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Same_input_and_seed_give_the_same_model_and_metrics_as_the_baseline()
    {
        var a = TrainFixed();
        var b = TrainFixed();
        b.TestProbabilities.ShouldBe(a.TestProbabilities);
        b.Model.Card.Hyperparameters.ShouldBe(a.Model.Card.Hyperparameters);

        var actual = new Dictionary<string, string>
        {
            ["algorithm"] = a.Model.Card.Algorithm,
            ["hyperparameters"] = string.Join(";", a.Model.Card.Hyperparameters.OrderBy(k => k.Key).Select(k => $"{k.Key}={k.Value}")),
            ["rows_test"] = a.Metrics.Rows.ToString(CultureInfo.InvariantCulture),
            ["auc"] = a.Metrics.Auc.ToString("F6", CultureInfo.InvariantCulture),
            ["log_loss"] = a.Metrics.LogLoss.ToString("F6", CultureInfo.InvariantCulture),
            ["brier"] = a.Metrics.Brier.ToString("F6", CultureInfo.InvariantCulture),
            ["threshold"] = a.Metrics.Threshold.ToString("F6", CultureInfo.InvariantCulture),
        };
        var path = Path.Combine(TestPaths.RepoRoot, "tests", "LeadScore.Engine.Tests", "Modeling", "Baselines", "bank-3000-lightgbm.json");
        File.Exists(path).ShouldBeTrue($"baseline missing; expected content: {JsonSerializer.Serialize(actual)}");
        var expected = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))!;
        actual.ShouldBe(expected, $"actual: {JsonSerializer.Serialize(actual)}");
    }
}
