using System.Globalization;
using LeadScore.Engine.Modeling;

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
            ["auc"] = BaselineFile.Number(a.Metrics.Auc),
            ["log_loss"] = BaselineFile.Number(a.Metrics.LogLoss),
            ["brier"] = BaselineFile.Number(a.Metrics.Brier),
            ["threshold"] = BaselineFile.Number(a.Metrics.Threshold),
        };
        BaselineFile.ShouldMatch(actual, "bank-3000-lightgbm.json");
    }
}
