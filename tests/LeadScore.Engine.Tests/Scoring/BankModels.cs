using LeadScore.Core;
using LeadScore.Engine.Features.Encoding;
using LeadScore.Engine.Ingestion;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;
using LeadScore.TestKit;
using Microsoft.ML;
using Microsoft.ML.Trainers.LightGbm;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>The bank-marketing data and small seeded ML.NET models trained on it, for scoring tests.</summary>
internal static class BankModels
{
    private static readonly Lazy<FeatureFrame> Bank = new(() =>
        FlatTableLoader.Load(TestPaths.BankMarketing, new FlatTableOptions { Target = "y", Positive = "yes", Separator = ';', Exclude = ["duration"] }).Frame);

    /// <summary>The whole table (read once, never modified).</summary>
    public static FeatureFrame Frame => Bank.Value;

    /// <summary>
    /// A copy of rows [start, start+count) where every 7th row misses "age" and every 11th "euribor3m",
    /// so trainers learn what to do with NaN.
    /// </summary>
    public static FeatureFrame WithMissing(int start, int count)
    {
        var src = Frame;
        var age = src.IndexOf("age");
        var euribor = src.IndexOf("euribor3m");
        var f = new FeatureFrame(src.Features);
        for (var r = start; r < start + count; r++)
        {
            var row = (FeatureValue[])src.Rows[r].Clone();
            if (r % 7 == 0) row[age] = FeatureValue.Missing;
            if (r % 11 == 0) row[euribor] = FeatureValue.Missing;
            f.Add(src.Ids[r], row, src.Labels[r]);
        }
        return f;
    }

    /// <summary>Every 5th row of the table (about 8,000, spread over the campaign months).</summary>
    public static FeatureFrame Sample(int every = 5, int offset = 0) =>
        Frame.Subset(Enumerable.Range(0, Frame.Count).Where(i => i % every == offset).ToArray());

    public sealed record Trained(FeatureEncoder Encoder, float[] Training, ITransformer Model, MLContext Ml);

    public static Trained Train(FeatureFrame train, Func<MLContext, IEstimator<ITransformer>> trainer, bool standardize = false, int seed = 1)
    {
        var encoder = FeatureEncoder.Fit(train, new EncoderOptions { ImputeAndStandardize = standardize });
        var matrix = encoder.EncodeAll(train);
        var ml = new MLContext(seed);
        var data = MlNetFitter.ToDataView(ml, matrix, encoder.SlotCount, train.Labels);
        // Every test fit goes through the gate: test classes run in parallel, and LightGBM must not.
        var model = LightGbmNative.Exclusive(() => trainer(ml).Fit(data));
        return new Trained(encoder, matrix, model, ml);
    }

    public static IEstimator<ITransformer> LightGbm(MLContext ml, int trees = 20, int leaves = 15) =>
        ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            NumberOfIterations = trees,
            NumberOfLeaves = leaves,
            MinimumExampleCountPerLeaf = 20,
            NumberOfThreads = 1,
            Seed = 1,
            Deterministic = true,
        });

    public static IEstimator<ITransformer> FastTree(MLContext ml, int trees = 20, int leaves = 8) =>
        ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: leaves, numberOfTrees: trees, minimumExampleCountPerLeaf: 20);

    public static IEstimator<ITransformer> FastForest(MLContext ml, int trees = 10, int leaves = 8) =>
        ml.BinaryClassification.Trainers.FastForest(numberOfLeaves: leaves, numberOfTrees: trees, minimumExampleCountPerLeaf: 20);

    public static IEstimator<ITransformer> Logistic(MLContext ml) =>
        ml.BinaryClassification.Trainers.LbfgsLogisticRegression();
}
