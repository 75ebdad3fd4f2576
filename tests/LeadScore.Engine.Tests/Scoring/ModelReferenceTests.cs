using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>The training reference kept in a model's artifact, and artifacts from before it.</summary>
public sealed class ModelReferenceTests
{
    private static FeatureFrame Frame(int rows, int seed)
    {
        var rng = new Random(seed);
        var f = new FeatureFrame([
            new FeatureInfo("visits", FeatureKind.Numeric, "web visits"),
            new FeatureInfo("source", FeatureKind.Categorical, "lead source"),
            new FeatureInfo("constant", FeatureKind.Numeric, "always 3"),
        ]);
        string[] sources = ["web", "event", "referral"];
        for (var i = 0; i < rows; i++)
        {
            var visits = rng.Next(0, 20);
            var src = sources[rng.Next(3)];
            var y = rng.NextDouble() < 1 / (1 + Math.Exp(-(visits - 10) / 3.0 - (src == "event" ? 1 : 0)));
            f.Add($"L{i}", [i % 17 == 0 ? FeatureValue.Missing : FeatureValue.Of(visits), FeatureValue.Of(src), FeatureValue.Of(3)], y);
        }
        return f;
    }

    [Fact]
    public void The_reference_holds_the_training_distributions_a_seeded_sample_and_the_held_out_scores()
    {
        var result = new ModelingContext().Train(Frame(8000, 4), new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 200 });
        var entries = ModelArtifact.ReferenceEntries(result);
        var artifact = result.Model.ToBytes(entries);

        var r = ModelReference.Read(artifact).ShouldNotBeNull();

        var train = result.Train!;
        r.TrainingRows.ShouldBe(train.Count);
        var visits = r.Features.Single(f => f.Name == "visits");
        var known = train.Rows.Select(row => row[0].Number).Where(v => !double.IsNaN(v)).ToArray();
        visits.Missing.ShouldBe(train.Count - known.Length);
        visits.Mean.ShouldBe(known.Average(), 1e-9);
        visits.Std.ShouldBe(Math.Sqrt(known.Select(v => (v - known.Average()) * (v - known.Average())).Average()), 1e-9);
        visits.Unique.ShouldBe(20);
        visits.Quantiles[0].ShouldBe(0);
        visits.Quantiles[^1].ShouldBe(19);
        visits.HistogramCounts.Sum().ShouldBe(known.Length);
        var constant = r.Features.Single(f => f.Name == "constant");
        (constant.Unique, constant.Std, constant.HistogramCounts.Sum()).ShouldBe((1, 0.0, train.Count), "a single-valued feature keeps one bin");
        var source = r.Features.Single(f => f.Name == "source");
        source.Counts.Values.Sum().ShouldBe(train.Count);
        source.Counts["event"].ShouldBe(train.Rows.Count(row => row[1].Category == "event"));

        // The sample: at most 5,000 training rows, decodable with the model's codec, the same on every build.
        r.SampleRows.ShouldBe(ModelReference.MaxSampleRows);
        var codec = new FeatureRowCodec(result.Model.Encoder);
        r.Sample.Length.ShouldBe(r.SampleRows * codec.RowBytes);
        var values = new float[3];
        var trainVisits = train.Rows.Select(row => row[0].Number).Where(v => !double.IsNaN(v)).Distinct().ToHashSet();
        for (var i = 0; i < r.SampleRows; i += 250)
        {
            codec.TryDecode(r.Sample.AsSpan(i * codec.RowBytes, codec.RowBytes), values).ShouldBeTrue();
            (float.IsNaN(values[0]) || trainVisits.Contains(values[0])).ShouldBeTrue();
            codec.Category(1, values[1]).ShouldBeOneOf("web", "event", "referral");
            values[2].ShouldBe(3f);
        }
        ModelArtifact.ReferenceEntries(result)[ArtifactEntries.ReferenceSample].ShouldBe(entries[ArtifactEntries.ReferenceSample], "seeded");
        ModelArtifact.ReferenceEntries(result)[ArtifactEntries.Reference].ShouldBe(entries[ArtifactEntries.Reference]);

        // Held-out scores, grade mix and calibration, and the card's figures.
        r.HeldOutProbabilities.ShouldBe(result.TestProbabilities);
        r.HeldOutLabels.ShouldBe(result.Test.Labels);
        r.GradeMix.Values.Sum().ShouldBe(result.Test.Count);
        r.Calibration.Where(c => c.Rows > 0).Sum(c => c.Positives).ShouldBe(result.Test.Labels.Count(l => l));
        r.HeldOutAuc.ShouldBe(result.Metrics.Auc);
        r.HeldOutEce.ShouldBe(result.Metrics.Ece);
        r.Importance.Keys.ShouldContain("visits");
    }

    [Fact]
    public void An_artifact_without_a_reference_still_loads_and_says_it_has_none()
    {
        var result = new ModelingContext().Train(Frame(600, 5), new TrainingOptions { Trainer = new LogisticOptions(), ImportanceRows = 0 });
        var input = new FlatModelInput([new ColumnSchema { Name = "visits", Kind = ColumnKind.Numeric }, new ColumnSchema { Name = "source", Kind = ColumnKind.Categorical },
            new ColumnSchema { Name = "constant", Kind = ColumnKind.Numeric }], [""], null);
        var artifact = result.Model.ToBytes(ModelArtifact.ServingEntries(result.Model, null, input));

        ModelReference.Read(artifact).ShouldBeNull();
        ServableModel.Load("v1", artifact).Version.ShouldBe("v1");
    }
}
