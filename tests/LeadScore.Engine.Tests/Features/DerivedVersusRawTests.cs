using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Features.Encoding;
using LeadScore.Engine.Metrics;
using LeadScore.Engine.Modeling;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace LeadScore.Engine.Tests.Features;

public sealed class DerivedVersusRawTests(ITestOutputHelper output)
{
    private sealed class Row
    {
        public bool Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    /// <summary>Trains a small seeded LightGBM on the earliest 70% of rows (by decision time) and returns the AUC on the rest.</summary>
    private static double TimeSplitAuc(FeatureFrame frame, int seed = 1)
    {
        var order = Enumerable.Range(0, frame.Count).OrderBy(i => frame.Times[i]).ThenBy(i => frame.Ids[i], StringComparer.Ordinal).ToArray();
        var cut = (int)(order.Length * 0.7);
        var train = frame.Subset(order[..cut]);
        var test = frame.Subset(order[cut..]);
        // The audit runs on training data only; flagged features are dropped as training would by default.
        var flagged = LeakageAudit.Run(train).Select(f => f.Feature).ToHashSet();
        train = train.Without(flagged);
        test = test.Without(flagged);

        var encoder = FeatureEncoder.Fit(train);
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, encoder.SlotCount);
        IDataView Load(FeatureFrame f) => ml.Data.LoadFromEnumerable(
            Enumerable.Range(0, f.Count).Select(i => new Row { Label = f.Labels[i], Features = encoder.Encode(f.Rows[i]) }).ToList(), schema);
        var trainer = ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            NumberOfIterations = 150,
            NumberOfLeaves = 15,
            MinimumExampleCountPerLeaf = 20,
            LearningRate = 0.05,
            Seed = seed,
            NumberOfThreads = 1,
            Silent = true,
        });
        var model = LightGbmNative.Exclusive(() => trainer.Fit(Load(train)));
        var metrics = ml.BinaryClassification.EvaluateNonCalibrated(model.Transform(Load(test)));
        return metrics.AreaUnderRocCurve;
    }

    [Fact]
    public void Derived_features_beat_raw_attributes_by_a_clear_auc_margin()
    {
        // Given the generated data and the default definitions, and the same definitions restricted to raw attributes
        var ds = FeatureTestData.MediumSet;
        var defs = FeatureTestData.Defaults(ds);
        var derived = new TrainingSetBuilder(new FeatureComputer(defs)).Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes).Frame;
        var raw = new TrainingSetBuilder(new FeatureComputer(defs.RawAttributesOnly())).Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes).Frame;
        raw.Ids.ShouldBe(derived.Ids);

        // When a model is trained on each with a time split
        var aucDerived = TimeSplitAuc(derived);
        var aucRaw = TimeSplitAuc(raw);

        // Then the derived features win clearly (the oracle is the AUC of the true probability on the same test rows)
        var order = Enumerable.Range(0, derived.Count).OrderBy(i => derived.Times[i]).ThenBy(i => derived.Ids[i], StringComparer.Ordinal).ToArray();
        var test = order[(int)(order.Length * 0.7)..];
        var oracle = Ranking.Auc(test.Select(i => ds.Truth[derived.Ids[i]]).ToList(), test.Select(i => derived.Labels[i]).ToList());
        output.WriteLine($"rows {derived.Count}, features derived {derived.Features.Count} / raw {raw.Features.Count}");
        output.WriteLine($"AUC derived {aucDerived:F4}, raw attributes only {aucRaw:F4}, oracle (true probability) {oracle:F4}");
        aucDerived.ShouldBeGreaterThan(aucRaw + 0.05);
        aucDerived.ShouldBeLessThanOrEqualTo(oracle + 0.02);
    }
}
