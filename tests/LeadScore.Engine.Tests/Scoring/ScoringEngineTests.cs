using LeadScore.Core;
using LeadScore.Engine.Features.Encoding;
using LeadScore.Engine.Scoring;

namespace LeadScore.Engine.Tests.Scoring;

public sealed class ScoringEngineTests
{
    private static readonly ProbabilityCalibrator Platt = new() { Kind = CalibratorKind.Platt, A = 0.9, B = -0.2 };

    private static ScoringEngine BankEngine(int trees = 30, bool linear = false)
    {
        var t = linear
            ? BankModels.Train(BankModels.Sample(6), ml => BankModels.Logistic(ml), standardize: true)
            : BankModels.Train(BankModels.Sample(6), ml => BankModels.LightGbm(ml, trees: trees, leaves: 15));
        return new ScoringEngine("v-test", t.Encoder, CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount), Platt, GradeBands.Default);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Score_gives_calibrated_probability_score_grade_and_reasons_whose_points_add_up(bool linear)
    {
        var engine = BankEngine(linear: linear);
        var test = BankModels.WithMissing(30000, 200);
        var perFeature = new double[engine.Features.Count];
        for (var r = 0; r < test.Count; r++)
        {
            var row = test.Rows[r];
            var result = engine.Score(test.Ids[r], row, explain: true);
            var slots = engine.Encoder.Encode(row);
            var p = Platt.Apply(engine.Model.Margin(slots));
            result.Probability.ShouldBe(p);
            result.Score.ShouldBe(GradeBands.ScoreOf(p));
            result.Grade.ShouldBe(GradeBands.Default.GradeOf(p));
            result.ModelVersion.ShouldBe("v-test");
            result.LeadId.ShouldBe(test.Ids[r]);

            engine.FeatureContributions(row, perFeature, out var baseValue);
            (baseValue + perFeature.Sum()).ShouldBe(engine.Model.Margin(slots), 1e-6);
            var positives = result.Reasons.Where(x => x.Contribution > 0).ToList();
            var negatives = result.Reasons.Where(x => x.Contribution < 0).ToList();
            // Contributions under half a point are not listed (they still count in the sum).
            var perLogOdds = Math.Abs(perFeature.Sum()) > 1e-9 ? (100 * p - engine.BasePoints) / perFeature.Sum() : double.NaN;
            result.Reasons.ShouldAllBe(x => Math.Abs(x.Points) >= ScoringEngine.MinReasonPoints);
            if (!double.IsNaN(perLogOdds))
            {
                positives.Count.ShouldBe(Math.Min(5, perFeature.Count(c => c > 0 && Math.Abs(c * perLogOdds) >= ScoringEngine.MinReasonPoints)));
                negatives.Count.ShouldBe(Math.Min(5, perFeature.Count(c => c < 0 && Math.Abs(c * perLogOdds) >= ScoringEngine.MinReasonPoints)));
            }
            positives.Select(x => x.Contribution).ShouldBeInOrder(SortDirection.Descending);
            negatives.Select(x => x.Contribution).ShouldBeInOrder(SortDirection.Ascending);
            if (positives.Count > 0) positives[0].Contribution.ShouldBe(perFeature.Max());
            if (negatives.Count > 0) negatives[0].Contribution.ShouldBe(perFeature.Min());
            // Points: base points plus every feature's points make 100 x p.
            var ratio = result.Reasons.Count > 0 ? result.Reasons[0].Points / result.Reasons[0].Contribution : 0;
            if (result.Reasons.Count > 0 && Math.Abs(perFeature.Sum()) > 1e-6)
                (engine.BasePoints + perFeature.Sum() * ratio).ShouldBe(100 * p, 1e-6);
            foreach (var reason in result.Reasons)
            {
                var i = test.IndexOf(reason.Feature);
                reason.Contribution.ShouldBe(perFeature[i]);
                reason.Value.ShouldBe(row[i].ToString());
            }
        }
    }

    [Fact]
    public void Reasons_are_written_from_the_feature_phrase_and_value()
    {
        // Given leads whose conversion rises with pricing-page visits and falls for tiny companies
        var features = new FeatureInfo[]
        {
            new("pricing_visits_7d", FeatureKind.Numeric, "pricing page views, last 7 days") { Phrase = "Visited the pricing page {value} times in the last 7 days" },
            new("company_size", FeatureKind.Categorical, "employees") { Phrase = "Company size {value} employees" },
            new("email_opens", FeatureKind.Numeric, "email opens"),
        };
        var frame = new FeatureFrame(features);
        var rng = new Random(7);
        string[] sizes = ["1-10", "11-50", "51-200", "201-1000"];
        for (var i = 0; i < 3000; i++)
        {
            var visits = rng.Next(0, 6);
            var size = sizes[rng.Next(sizes.Length)];
            var opens = rng.Next(0, 4);
            var logit = -2 + 0.8 * visits - (size == "1-10" ? 1.5 : 0) + 0.1 * opens;
            var label = rng.NextDouble() < 1 / (1 + Math.Exp(-logit));
            frame.Add($"L{i}", [FeatureValue.Of(visits), FeatureValue.Of(size), i % 13 == 0 ? FeatureValue.Missing : FeatureValue.Of(opens)], label);
        }
        var t = BankModels.Train(frame, ml => BankModels.LightGbm(ml, trees: 30, leaves: 8));
        var engine = new ScoringEngine("v1", t.Encoder, CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount), ProbabilityCalibrator.Identity, GradeBands.Default);

        // When a hot lead from a tiny company is scored
        var result = engine.Score("hot", [FeatureValue.Of(5), FeatureValue.Of("1-10"), FeatureValue.Missing], explain: true);

        // Then the reasons say why, in words
        var visitReason = result.Reasons.Single(r => r.Feature == "pricing_visits_7d");
        visitReason.Text.ShouldBe("Visited the pricing page 5 times in the last 7 days");
        visitReason.Contribution.ShouldBeGreaterThan(0);
        visitReason.Value.ShouldBe("5");
        var sizeReason = result.Reasons.Single(r => r.Feature == "company_size");
        sizeReason.Text.ShouldBe("Company size 1-10 employees");
        sizeReason.Contribution.ShouldBeLessThan(0);
        engine.ReasonText(2, FeatureValue.Missing).ShouldBe("Email opens not known");
        engine.ReasonText(2, FeatureValue.Of(3)).ShouldBe("Email opens: 3");
    }

    [Fact]
    public void Batch_scoring_equals_one_by_one_scoring_in_row_order()
    {
        var engine = BankEngine(trees: 20);
        var frame = BankModels.WithMissing(10000, 3000);
        var batch = engine.ScoreBatch(frame, explain: true, top: 3, TestContext.Current.CancellationToken);
        var plain = engine.ScoreBatch(frame, explain: false, cancellationToken: TestContext.Current.CancellationToken);
        var probabilities = engine.Probabilities(frame, TestContext.Current.CancellationToken);
        for (var r = 0; r < frame.Count; r += 7)
        {
            var one = engine.Score(frame.Ids[r], frame.Rows[r], explain: true, top: 3);
            batch[r].LeadId.ShouldBe(frame.Ids[r]);
            batch[r].Probability.ShouldBe(one.Probability);
            batch[r].Reasons.Select(x => (x.Feature, x.Contribution)).ShouldBe(one.Reasons.Select(x => (x.Feature, x.Contribution)));
            plain[r].Reasons.ShouldBeEmpty();
            plain[r].Probability.ShouldBe(one.Probability);
            probabilities[r].ShouldBe(one.Probability);
        }
    }

    [Fact]
    public void Global_importance_is_mean_absolute_contribution_per_feature_largest_first()
    {
        var engine = BankEngine(trees: 20);
        var frame = BankModels.WithMissing(12000, 500);
        var contributions = engine.FeatureContributions(frame, TestContext.Current.CancellationToken);
        var importance = engine.GlobalImportance(contributions);
        importance.Count.ShouldBe(engine.Features.Count);
        importance.Select(x => x.MeanAbsContribution).ShouldBeInOrder(SortDirection.Descending);
        var i = frame.IndexOf(importance[0].Feature);
        importance[0].MeanAbsContribution.ShouldBe(contributions.Average(c => Math.Abs(c[i])), 1e-12);
        importance[0].MeanAbsContribution.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Probability_of_one_lead_allocates_nothing_and_scoring_allocates_little_beyond_the_result()
    {
        var engine = BankEngine(trees: 20);
        var row = BankModels.Frame.Rows[123];
        engine.Probability(row);
        engine.Score("x", row, explain: true);
        var before = GC.GetAllocatedBytesForCurrentThread();
        engine.Probability(row);
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0);
        before = GC.GetAllocatedBytesForCurrentThread();
        engine.Score("x", row, explain: false);
        // The result record itself (and its empty reasons) only.
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBeLessThanOrEqualTo(128);
    }

    [Fact]
    public void Scored_at_comes_from_the_time_provider()
    {
        var t = BankModels.Train(BankModels.Sample(20), ml => BankModels.LightGbm(ml, trees: 3));
        var clock = new FixedClock(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var engine = new ScoringEngine("v", t.Encoder, CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount), Platt, GradeBands.Default, clock);
        engine.Score("a", BankModels.Frame.Rows[0], explain: false).ScoredAt.ShouldBe(clock.GetUtcNow());
    }

    [Fact]
    public void Frames_with_other_features_are_refused_with_a_clear_message()
    {
        var engine = BankEngine(trees: 3);
        var other = BankModels.Frame.Without(new HashSet<string> { "age" });
        Should.Throw<LeadScoreException>(() => engine.ScoreBatch(other, explain: false, cancellationToken: TestContext.Current.CancellationToken)).Message.ShouldContain("v-test");
    }

    [Fact]
    public void Engine_built_from_registry_bytes_scores_like_the_original()
    {
        var engine = BankEngine(trees: 10);
        var copy = ScoringEngine.Create("v-test", engine.Encoder.ToJson(), engine.Model.Serialize(), engine.Calibrator, engine.Grades);
        var frame = BankModels.WithMissing(5000, 300);
        copy.Probabilities(frame, TestContext.Current.CancellationToken).ShouldBe(engine.Probabilities(frame, TestContext.Current.CancellationToken));
    }
}

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

public sealed class ScoringEngineStreamingTests
{
    [Fact]
    public void Chunks_cover_every_row_in_order_and_equal_batch_scoring()
    {
        var t = BankModels.Train(BankModels.Sample(10), ml => BankModels.LightGbm(ml, trees: 10));
        var engine = new ScoringEngine("v", t.Encoder, CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount), ProbabilityCalibrator.Identity, GradeBands.Default);
        var frame = BankModels.WithMissing(1000, 2500);
        var chunks = engine.ScoreChunks(frame, explain: true, top: 2, chunkRows: 1000, TestContext.Current.CancellationToken).ToList();
        chunks.Select(c => c.Length).ShouldBe([1000, 1000, 500]);
        var all = chunks.SelectMany(c => c).ToArray();
        var batch = engine.ScoreBatch(frame, explain: true, top: 2, TestContext.Current.CancellationToken);
        all.Select(r => r.LeadId).ShouldBe(frame.Ids);
        all.Select(r => r.Probability).ShouldBe(batch.Select(r => r.Probability));
    }

    [Fact]
    public void Align_reorders_columns_by_name_and_drops_extra_ones()
    {
        var t = BankModels.Train(BankModels.Sample(20), ml => BankModels.LightGbm(ml, trees: 5));
        var engine = new ScoringEngine("v7", t.Encoder, CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount), ProbabilityCalibrator.Identity, GradeBands.Default);
        var source = BankModels.WithMissing(100, 50);
        // A file with the columns reversed and one extra column
        var reversed = source.Features.Reverse().Append(new FeatureInfo("note", FeatureKind.Categorical, "free text")).ToArray();
        var shuffled = new FeatureFrame(reversed);
        for (var r = 0; r < source.Count; r++)
            shuffled.Add(source.Ids[r], source.Rows[r].Reverse().Append(FeatureValue.Of("x")).ToArray());
        var aligned = engine.Align(shuffled);
        engine.Probabilities(aligned, TestContext.Current.CancellationToken).ShouldBe(engine.Probabilities(source, TestContext.Current.CancellationToken));
        var withoutAge = source.Without(new HashSet<string> { "age" });
        Should.Throw<LeadScoreException>(() => engine.Align(withoutAge)).Message.ShouldContain("age");
    }
}

public sealed class ScoringEngineConcurrencyTests
{
    [Fact]
    public void One_engine_scores_from_many_threads_at_once_with_the_same_results()
    {
        var t = BankModels.Train(BankModels.Sample(10), ml => BankModels.LightGbm(ml, trees: 15));
        // One compiled model shared by engines built concurrently: they race to build its lazy TreeSHAP tables.
        var model = CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount);
        var frame = BankModels.WithMissing(2000, 400);
        var results = new LeadScoreResult[8][];
        Parallel.For(0, 8, k =>
        {
            var engine = new ScoringEngine("v", t.Encoder, model, ProbabilityCalibrator.Identity, GradeBands.Default);
            results[k] = Enumerable.Range(0, frame.Count).Select(r => engine.Score(frame.Ids[r], frame.Rows[r], explain: true)).ToArray();
        });
        for (var k = 1; k < 8; k++)
            for (var r = 0; r < frame.Count; r++)
            {
                results[k][r].Probability.ShouldBe(results[0][r].Probability);
                results[k][r].Reasons.Select(x => x.Contribution).ShouldBe(results[0][r].Reasons.Select(x => x.Contribution));
            }
    }
}
