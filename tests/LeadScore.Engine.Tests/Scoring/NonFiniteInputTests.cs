using System.Text.Json;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Scoring;
using LeadScore.Engine.Tests.Features;

namespace LeadScore.Engine.Tests.Scoring;

/// <summary>
/// One huge or infinite number must not stop scoring (issue 18 item 1): the engine scores a non-finite
/// feature as missing, and the feature computer never produces one.
/// </summary>
public sealed class NonFiniteInputTests
{
    private static readonly Lazy<ScoringEngine> Linear = new(() => Engine(linear: true));
    private static readonly Lazy<ScoringEngine> Trees = new(() => Engine(linear: false));

    private static ScoringEngine Engine(bool linear)
    {
        var t = linear
            ? BankModels.Train(BankModels.Sample(6), ml => BankModels.Logistic(ml), standardize: true)
            : BankModels.Train(BankModels.Sample(6), ml => BankModels.LightGbm(ml, trees: 20));
        return new ScoringEngine("v-test", t.Encoder, CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount),
            new ProbabilityCalibrator { Kind = CalibratorKind.Platt, A = 0.9, B = -0.2 }, GradeBands.Default);
    }

    private static FeatureValue[] Poisoned(FeatureValue[] row, double value, string? only = null)
    {
        var copy = (FeatureValue[])row.Clone();
        for (var i = 0; i < copy.Length; i++)
            if (copy[i].Category is null && (only is null || BankModels.Frame.Features[i].Name == only)) copy[i] = FeatureValue.Of(value);
        return copy;
    }

    internal static void ShouldBeFiniteAndSerialise(LeadScoreResult r)
    {
        double.IsFinite(r.Probability).ShouldBeTrue(r.LeadId);
        r.Score.ShouldBeInRange(0, 100);
        foreach (var reason in r.Reasons)
        {
            double.IsFinite(reason.Contribution).ShouldBeTrue(reason.Feature);
            double.IsFinite(reason.Points).ShouldBeTrue(reason.Feature);
        }
        // System.Text.Json refuses NaN and infinities by default: this is what failed in the CLI and the API.
        Should.NotThrow(() => JsonSerializer.Serialize(r));
    }

    [Theory]
    [InlineData(true, 1e308)]
    [InlineData(true, double.PositiveInfinity)]
    [InlineData(true, -1e308)]
    [InlineData(true, 1e39)]
    [InlineData(false, 1e308)]
    [InlineData(false, double.NegativeInfinity)]
    public void A_huge_or_infinite_number_in_every_numeric_feature_scores_to_finite_results_that_serialise(bool linear, double value)
    {
        var engine = linear ? Linear.Value : Trees.Value;
        var row = Poisoned(BankModels.Frame.Rows[5], value);

        var result = engine.Score("poisoned", row, explain: true);

        ShouldBeFiniteAndSerialise(result);
        result.Reasons.ShouldNotBeEmpty();
        double.IsFinite(engine.Probability(row)).ShouldBeTrue();
        var perFeature = new double[engine.Features.Count];
        engine.FeatureContributions(row, perFeature, out var baseValue);
        perFeature.ShouldAllBe(c => double.IsFinite(c));
        double.IsFinite(baseValue).ShouldBeTrue();
    }

    [Fact]
    public void A_number_too_large_for_the_model_is_scored_as_missing_and_its_reason_says_not_known()
    {
        var engine = Linear.Value;
        var age = BankModels.Frame.IndexOf("age");
        var clean = BankModels.Frame.Rows[5];
        var missing = (FeatureValue[])clean.Clone();
        missing[age] = FeatureValue.Missing;

        var huge = engine.Score("a", Poisoned(clean, 1e308, only: "age"), explain: true, top: 20);
        var asMissing = engine.Score("a", missing, explain: true, top: 20);

        huge.Probability.ShouldBe(asMissing.Probability);
        huge.Reasons.Select(r => (r.Feature, r.Value, r.Contribution, r.Text)).ShouldBe(asMissing.Reasons.Select(r => (r.Feature, r.Value, r.Contribution, r.Text)));
        engine.Score("a", clean, explain: false).Probability.ShouldNotBe(huge.Probability);
    }

    [Fact]
    public void Batch_scoring_of_2000_leads_with_one_poisoned_lead_scores_all_2000()
    {
        // Given 2,000 leads, one of which holds 1e308 in every numeric feature
        var engine = Linear.Value;
        var frame = BankModels.WithMissing(20000, 2000);
        var poisoned = new FeatureFrame(frame.Features);
        for (var r = 0; r < frame.Count; r++) poisoned.Add(frame.Ids[r], r == 1234 ? Poisoned(frame.Rows[r], 1e308) : frame.Rows[r]);
        var ct = TestContext.Current.CancellationToken;

        // When the frame is scored in every batch form
        var results = engine.ScoreBatch(poisoned, explain: true, top: 3, ct);
        var chunks = engine.ScoreChunks(poisoned, explain: true, top: 3, chunkRows: 500, ct).SelectMany(c => c).ToArray();
        var probabilities = engine.Probabilities(poisoned, ct);
        var contributions = engine.FeatureContributions(poisoned, ct);

        // Then every lead has a finite, serialisable score, and the 1,999 others are unaffected
        results.Length.ShouldBe(2000);
        foreach (var r in results) ShouldBeFiniteAndSerialise(r);
        Should.NotThrow(() => JsonSerializer.Serialize(results));
        chunks.Select(r => r.Probability).ShouldBe(results.Select(r => r.Probability));
        probabilities.ShouldBe(results.Select(r => r.Probability).ToArray());
        contributions.SelectMany(c => c).ShouldAllBe(c => double.IsFinite(c));
        engine.GlobalImportance(contributions).ShouldAllBe(i => double.IsFinite(i.MeanAbsContribution));
        var clean = engine.ScoreBatch(frame, explain: true, top: 3, ct);
        for (var r = 0; r < frame.Count; r++)
        {
            if (r == 1234) continue;
            results[r].Probability.ShouldBe(clean[r].Probability);
            results[r].Reasons.Select(x => x.Points).ShouldBe(clean[r].Reasons.Select(x => x.Points));
        }
    }
}

/// <summary>The three inputs of issue 18 item 1, from raw lead data through the feature computer to a served score.</summary>
public sealed class PoisonedLeadScoringTests
{
    private sealed record Setup(FeatureComputer Computer, ScoringEngine Engine, Lead Lead, List<Activity> Activities, List<Enrichment> Enrichment, DateTimeOffset AsOf);

    private static readonly Lazy<(FeatureComputer Computer, ScoringEngine Engine)> Model = new(() =>
    {
        var ds = FeatureTestData.SmallSet;
        var computer = new FeatureComputer(FeatureTestData.Defaults(ds));
        var frame = new TrainingSetBuilder(computer).Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes).Frame;
        // A linear model: the kind whose margin an infinite slot turns into NaN.
        var t = BankModels.Train(frame, ml => BankModels.Logistic(ml), standardize: true);
        return (computer, new ScoringEngine("v-e2e", t.Encoder, CompiledModel.FromMlNet(t.Model, t.Training, t.Encoder.SlotCount), ProbabilityCalibrator.Identity, GradeBands.Default));
    });

    private static Setup ALead()
    {
        var ds = FeatureTestData.SmallSet;
        var (computer, engine) = Model.Value;
        var lead = ds.Leads.First(l => computer.EnrichmentDomain(l) is { } d && ds.Enrichment.Any(e => e.Domain == d));
        var domain = computer.EnrichmentDomain(lead)!;
        var asOf = lead.CreatedAt.AddDays(10);
        var acts = ds.Activities.Where(a => a.LeadId == lead.Id).OrderBy(a => a.Timestamp).ToList();
        var enr = ds.Enrichment.Where(e => e.Domain == domain).OrderBy(e => e.AsOf).ToList();
        return new Setup(computer, engine, lead, acts, enr, asOf);
    }

    private static void ShouldScoreFinite(Setup s)
    {
        var row = s.Computer.Compute(s.Lead, s.Activities, s.Enrichment, s.AsOf);
        foreach (var v in row) (double.IsNaN(v.Number) || Math.Abs(v.Number) <= float.MaxValue).ShouldBeTrue();
        NonFiniteInputTests.ShouldBeFiniteAndSerialise(s.Engine.Score(s.Lead.Id, row, explain: true));
    }

    [Fact]
    public void An_activity_value_of_1e308_scores_to_a_finite_result()
    {
        var s = ALead();
        var type = s.Computer.Definitions.Activities!.SumTypes[0];
        var acts = s.Activities.Append(new Activity { EventId = "P-1", LeadId = s.Lead.Id, Type = type, Timestamp = s.AsOf.AddHours(-1), Url = "/pricing", Value = 1e308 })
            .Append(new Activity { EventId = "P-2", LeadId = s.Lead.Id, Type = type, Timestamp = s.AsOf.AddHours(-2), Url = "/pricing", Value = 1e308 })
            .OrderBy(a => a.Timestamp).ToList();
        ShouldScoreFinite(s with { Activities = acts });
    }

    [Fact]
    public void A_numeric_lead_attribute_of_1e308_scores_to_a_finite_result()
    {
        var s = ALead();
        s.Computer.Definitions.Attributes.Single(a => a.Column == "custom_seats_requested").Kind.ShouldBe(AttributeKind.Numeric);
        var lead = s.Lead with { Attributes = new Dictionary<string, string?>(s.Lead.Attributes) { ["custom_seats_requested"] = "1e308" } };
        ShouldScoreFinite(s with { Lead = lead });
    }

    [Fact]
    public void Enrichment_employees_of_1e308_scores_to_a_finite_result()
    {
        var s = ALead();
        s.Enrichment.ShouldNotBeEmpty();
        var last = s.Enrichment[^1];
        // Taken at the as-of instant: the latest record known then.
        var poisoned = last with { AsOf = s.AsOf, Attributes = new Dictionary<string, string?>(last.Attributes) { [EnrichmentFields.Employees] = "1e308" } };
        var enrichment = s.Enrichment.Append(poisoned).OrderBy(e => e.AsOf).ToList();
        var row = s.Computer.Compute(s.Lead, s.Activities, enrichment, s.AsOf);
        row[s.Computer.IndexOf("company_employees")].IsMissing.ShouldBeTrue();
        ShouldScoreFinite(s with { Enrichment = enrichment });
    }
}
