using LeadScore.Core;
using LeadScore.Engine.Modeling;
using Microsoft.ML;

namespace LeadScore.Engine.Tests.Modeling;

public sealed class PermutationImportanceTests
{
    /// <summary>
    /// The importance from one encoded matrix with each feature's slot block shuffled across rows (in parallel) equals the
    /// plain definition: shuffle the feature's values in a copy of the frame, encode it again, score it, and take the AUC drop.
    /// </summary>
    [Fact]
    public void Shuffling_slot_blocks_of_one_encoded_matrix_gives_the_same_drops_as_re_encoding_shuffled_copies()
    {
        var data = ModelingData.Sample(ModelingData.Bank, 2500);
        var r = new ModelingContext().Train(data, new TrainingOptions { Algorithm = ModelAlgorithm.LightGbm, TimeBudget = TimeSpan.Zero, ImportanceRows = 0, Folds = 2 },
            ct: TestContext.Current.CancellationToken);
        var model = r.Model;
        var test = ModelingData.Sample(ModelingData.Bank, 700, seed: 11);
        var ml = new MLContext(seed: 1);

        var fast = ModelingContext.PermutationImportance(ml, model.Model, model.Encoder, test, maxRows: 500, seed: 5);

        // The reference, written out the slow way with the same generator draws.
        var rng = new Random(5);
        var idx = Enumerable.Range(0, test.Count).ToArray();
        rng.Shuffle(idx);
        idx = idx[..500];
        Array.Sort(idx);
        var sample = test.Subset(idx);
        double[] Margins(FeatureFrame f)
        {
            var k = model.Encoder.SlotCount;
            var m = new float[f.Count * k];
            var map = model.Encoder.Features.Select(x => f.IndexOf(x.Name)).ToArray();
            var row = new FeatureValue[map.Length];
            for (var i = 0; i < f.Count; i++)
            {
                for (var j = 0; j < map.Length; j++) row[j] = map[j] >= 0 ? f.Rows[i][map[j]] : FeatureValue.Missing;
                model.Encoder.Encode(row, m.AsSpan(i * k, k));
            }
            return MlNetFitter.Margins(ml, model.Model, m, k);
        }
        var baseAuc = LeadScore.Engine.Metrics.Ranking.Auc(Margins(sample), sample.Labels);
        var expected = new List<(string Feature, double Drop)>();
        foreach (var feature in model.Encoder.Features)
        {
            var col = sample.IndexOf(feature.Name);
            if (col < 0) continue;
            var perm = Enumerable.Range(0, sample.Count).ToArray();
            rng.Shuffle(perm);
            var shuffled = new FeatureFrame(sample.Features);
            for (var i = 0; i < sample.Count; i++)
            {
                var row = (FeatureValue[])sample.Rows[i].Clone();
                row[col] = sample.Rows[perm[i]][col];
                shuffled.Add(sample.Ids[i], row, sample.Labels[i]);
            }
            expected.Add((feature.Name, baseAuc - LeadScore.Engine.Metrics.Ranking.Auc(Margins(shuffled), sample.Labels)));
        }

        fast.Count.ShouldBe(expected.Count);
        fast.Count.ShouldBeGreaterThan(10);
        var byName = expected.ToDictionary(e => e.Feature, e => e.Drop);
        foreach (var p in fast) p.AucDrop.ShouldBe(byName[p.Feature], 1e-12, p.Feature);
        fast.Select(p => p.AucDrop).ShouldBe(fast.Select(p => p.AucDrop).OrderByDescending(d => d));
        fast[0].AucDrop.ShouldBeGreaterThan(0.01); // some feature matters
    }
}
