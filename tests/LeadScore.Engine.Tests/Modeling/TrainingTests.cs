using LeadScore.Core;
using LeadScore.Engine.Modeling;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Modeling;

public sealed class TrainingTests
{
    private static readonly ModelingContext Ctx = new();

    private static FeatureFrame Synthetic(int positives, int negatives, int seed = 3)
    {
        var rng = new Random(seed);
        var f = new FeatureFrame([
            new FeatureInfo("visits", FeatureKind.Numeric, "web visits"),
            new FeatureInfo("source", FeatureKind.Categorical, "lead source") { IsSegment = true },
        ]);
        string[] sources = ["web", "event", "referral"];
        for (var i = 0; i < positives + negatives; i++)
        {
            var y = i < positives;
            var visits = rng.Next(0, 10) + (y ? 3 : 0);
            f.Add($"L{i}", [FeatureValue.Of(visits), FeatureValue.Of(sources[rng.Next(3)])], y);
        }
        return f;
    }

    [Fact]
    public void Training_refuses_under_40_of_each_class_and_names_the_counts()
    {
        var ex = Should.Throw<LeadScoreException>(() => Ctx.Train(Synthetic(39, 500), new TrainingOptions()));
        ex.Message.ShouldContain("39 converted and 500 lost");
        ex.Message.ShouldContain("at least 40 of each");
    }

    [Fact]
    public void Near_the_minimum_auto_prefers_regularised_logistic_regression_and_says_why()
    {
        var r = Ctx.Train(Synthetic(60, 400), new TrainingOptions { MaxTrials = 2, ImportanceRows = 0 }, ct: TestContext.Current.CancellationToken);
        r.Model.Card.Algorithm.ShouldBe("logistic");
        r.Model.Card.Notes.ShouldContain(n => n.Contains("regularised logistic regression"));
        r.Metrics.Auc.ShouldBeGreaterThan(0.7);
    }

    [Fact]
    public void Auto_compares_every_family_by_cross_validation_and_records_the_candidates()
    {
        var data = ModelingData.Sample(ModelingData.Bank, 2500);
        var r = Ctx.Train(data, new TrainingOptions { MaxTrials = 1, Folds = 2, ImportanceRows = 400, TimeBudget = TimeSpan.FromMinutes(5) }, ct: TestContext.Current.CancellationToken);
        var compared = r.Model.Card.Candidates.Where(c => c.Stage == "compare").Select(c => c.Algorithm).ToArray();
        compared.ShouldBe(["lightgbm", "logistic", "fasttree", "fastforest"], ignoreOrder: true);
        r.Model.Card.Candidates.ShouldContain(c => c.Stage == "class weighting");
        r.Model.Card.Candidates.Count(c => c.Stage == "search").ShouldBe(1);
        r.Model.Card.Selection.ShouldContain("cross-validated AUC");
        r.Importance.Count.ShouldBe(r.Model.Encoder.Features.Count);
        r.Importance.Select(i => i.Feature).ShouldContain("nr.employed");
        r.GradeRates.Sum(g => g.Rows).ShouldBe(r.Metrics.Rows);
        r.Metrics.Auc.ShouldBeGreaterThan(0.68); // 500 held-out rows: noisy; the quality bar is tested on the full data
    }

    [Fact]
    public void With_decision_times_the_most_recent_rows_are_the_test_set_and_the_card_says_so()
    {
        var frame = Synthetic(300, 700);
        var timed = new FeatureFrame(frame.Features);
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < frame.Count; i++) timed.Add(frame.Ids[i], frame.Rows[i], frame.Labels[i], t0.AddHours((i * 7919) % frame.Count));
        var r = Ctx.Train(timed, new TrainingOptions { Trainer = Ctx.Trainers.Logistic(), ImportanceRows = 0 }, ct: TestContext.Current.CancellationToken);
        r.Model.Card.SplitKind.ShouldBe(SplitKind.Time);
        r.Model.Card.Split.ShouldContain("most recent 20%");
        r.Test.Count.ShouldBe(200);
        r.Test.Times.Min().ShouldBe(t0.AddHours(800));
        r.Model.Card.DataFrom.ShouldBe(t0);
        r.Model.Card.DataTo.ShouldBe(t0.AddHours(999));
    }

    [Fact]
    public void A_given_test_frame_is_used_as_is_for_evaluation()
    {
        var r = Ctx.Train(Synthetic(200, 400, seed: 1), new TrainingOptions { Trainer = Ctx.Trainers.Logistic(), ImportanceRows = 0, TestDataSource = "test.csv" },
            testFrame: Synthetic(50, 150, seed: 2), ct: TestContext.Current.CancellationToken);
        r.Model.Card.SplitKind.ShouldBe(SplitKind.TestFile);
        r.Model.Card.Split.ShouldContain("test.csv");
        r.Model.Card.RowsTrain.ShouldBe(600);
        r.Metrics.Rows.ShouldBe(200);
    }

    [Fact]
    public void Excluded_features_are_not_used_and_are_listed_with_reasons()
    {
        var r = Ctx.Train(Synthetic(300, 600), new TrainingOptions
        {
            Trainer = Ctx.Trainers.Logistic(),
            ExcludedFeatures = [new ExcludedFeature("source", "audit: test reason")],
            ImportanceRows = 0,
        }, ct: TestContext.Current.CancellationToken);
        r.Model.Card.FeaturesUsed.ShouldBe(["visits"]);
        r.Model.Card.ExcludedFeatures.ShouldBe([new ExcludedFeature("source", "audit: test reason")]);
    }

    [Fact]
    public void A_saved_model_loads_back_and_predicts_the_same_probabilities()
    {
        var data = ModelingData.Sample(ModelingData.Bank, 2000);
        var r = Ctx.Train(data, new TrainingOptions { Trainer = Ctx.Trainers.LightGbm(new LightGbmOptions { NumberOfTrees = 30 }), ImportanceRows = 0 }, ct: TestContext.Current.CancellationToken);
        var bytes = r.Model.ToBytes(new Dictionary<string, byte[]> { ["compiled.bin"] = [1, 2, 3] });

        var loaded = TrainedModel.FromBytes(bytes);
        loaded.Predict(r.Test).ShouldBe(r.TestProbabilities, tolerance: 1e-12);
        loaded.Card.ToJson().ShouldBe(r.Model.Card.ToJson());
        loaded.Grades.ShouldBe(r.Model.Grades);
        loaded.TrainingMatrix.ShouldBeNull();
        TrainedModel.ReadEntry(bytes, "compiled.bin").ShouldBe(new byte[] { 1, 2, 3 });
        r.Model.TrainingMatrix!.Length.ShouldBe(r.Model.Card.RowsTrain * r.Model.SlotCount);
    }

    [Fact]
    public void Tree_models_are_exported_without_ml_net_transforms_so_the_scorer_can_compile_them()
    {
        var data = ModelingData.Sample(ModelingData.Bank, 1500);
        foreach (TrainerOptions t in new TrainerOptions[] { Ctx.Trainers.LightGbm(new LightGbmOptions { NumberOfTrees = 10 }), Ctx.Trainers.FastTree(new FastTreeOptions { NumberOfTrees = 10 }), Ctx.Trainers.FastForest(new FastForestOptions { NumberOfTrees = 10 }), Ctx.Trainers.Logistic() })
        {
            var (model, encoder, matrix) = Ctx.Fit(data, t);
            // One BinaryPredictionTransformer straight on "Features": no chain of ML.NET transforms in front.
            model.ShouldBeAssignableTo<Microsoft.ML.ISingleFeaturePredictionTransformer<object>>();
            matrix.Length.ShouldBe(data.Count * encoder.SlotCount);
            encoder.ImputeAndStandardize.ShouldBe(t.Algorithm != ModelAlgorithm.LightGbm);
        }
    }

    [Fact]
    public void Calibrated_probabilities_are_clamped_and_grades_cover_every_lead()
    {
        var r = Ctx.Train(Synthetic(300, 900), new TrainingOptions { Trainer = Ctx.Trainers.FastTree(new FastTreeOptions { NumberOfTrees = 20 }), ImportanceRows = 0 }, ct: TestContext.Current.CancellationToken);
        r.TestProbabilities.ShouldAllBe(p => p >= ProbabilityCalibrator.MinProbability && p <= 1 - ProbabilityCalibrator.MinProbability);
        r.Model.Grades.A.ShouldBeGreaterThan(r.Model.Grades.B);
        r.Model.Grades.B.ShouldBeGreaterThan(r.Model.Grades.C);
        r.Model.Card.Calibration.ShouldNotBeNullOrEmpty();
    }
}
