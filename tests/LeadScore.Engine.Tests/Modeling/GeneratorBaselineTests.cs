using System.Globalization;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Metrics;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Synthetic;

namespace LeadScore.Engine.Tests.Modeling;

/// <summary>
/// The metrics baseline on the generator's data, checked deterministically: the whole path (generate, point-in-time
/// training set, leakage audit, LightGBM with fixed options on one thread) must reproduce the baseline file, and the
/// model must have learned the hidden process (its ranking agrees with the true probabilities).
/// </summary>
public sealed class GeneratorBaselineTests
{
    private static (TrainingResult Result, IReadOnlyList<LeakageFinding> Findings, SyntheticDataset Data) Train()
    {
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = 2500, Seed = 5 });
        var defs = FeatureDefinitions.InferDefaults(data.Leads, data.Activities.Select(a => a.Type), data.Enrichment);
        var set = new TrainingSetBuilder(new FeatureComputer(defs)).Build(data.Leads, data.Activities, data.Enrichment, data.Outcomes);
        var findings = LeakageAudit.Run(set.Frame);
        var frame = set.Frame.Without(findings.Select(f => f.Feature).ToHashSet());
        var result = new ModelingContext().Train(frame, new TrainingOptions
        {
            Algorithm = ModelAlgorithm.LightGbm,
            MaxTrials = 1,
            TimeBudget = TimeSpan.FromMinutes(10),
            Threads = 1,
            ImportanceRows = 0,
            Seed = 3,
            ExcludedFeatures = findings.Select(f => new ExcludedFeature(f.Feature, f.Reason)).ToList(),
        }, ct: TestContext.Current.CancellationToken);
        return (result, findings, data);
    }

    [Fact]
    public void Generator_data_gives_the_baseline_metrics_and_the_model_tracks_the_true_probability()
    {
        var (result, findings, data) = Train();
        findings.Select(f => f.Feature).ShouldBe(["stage"]);

        var m = result.Metrics;
        var actual = new Dictionary<string, string>
        {
            ["rows_train"] = result.Model.Card.RowsTrain.ToString(CultureInfo.InvariantCulture),
            ["rows_test"] = m.Rows.ToString(CultureInfo.InvariantCulture),
            ["split"] = result.Model.Card.SplitKind.ToString(),
            ["auc"] = BaselineFile.Number(m.Auc),
            ["pr_auc"] = BaselineFile.Number(m.PrAuc),
            ["log_loss"] = BaselineFile.Number(m.LogLoss),
            ["brier"] = BaselineFile.Number(m.Brier),
        };
        BaselineFile.ShouldMatch(actual, "generator-2500-lightgbm.json");

        // What the model learned: its held-out ranking against the hidden process's own probabilities.
        var truth = result.Test.Ids.Select(id => data.Truth[id]).ToArray();
        var oracleAuc = Ranking.Auc(truth, result.Test.Labels);
        m.Auc.ShouldBeGreaterThan(0.75);
        m.Auc.ShouldBeGreaterThan(oracleAuc - 0.1, $"oracle AUC {oracleAuc:F3}");
        Spearman(result.TestProbabilities, truth).ShouldBeGreaterThan(0.5);
    }

    private static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        static double[] Ranks(IReadOnlyList<double> x)
        {
            var order = Enumerable.Range(0, x.Count).OrderBy(i => x[i]).ToArray();
            var r = new double[x.Count];
            for (var i = 0; i < order.Length; i++) r[order[i]] = i;
            return r;
        }
        var ra = Ranks(a);
        var rb = Ranks(b);
        var ma = ra.Average();
        var mb = rb.Average();
        double num = 0, da = 0, db = 0;
        for (var i = 0; i < ra.Length; i++)
        {
            num += (ra[i] - ma) * (rb[i] - mb);
            da += (ra[i] - ma) * (ra[i] - ma);
            db += (rb[i] - mb) * (rb[i] - mb);
        }
        return num / Math.Sqrt(da * db);
    }
}
