using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Ingestion;
using LeadScore.TestKit;

namespace LeadScore.Engine.Tests.Features;

public sealed class LeakageAuditTests(ITestOutputHelper output)
{
    [Fact]
    public void Flags_Tags_and_Lead_Quality_on_X_Education_without_being_told()
    {
        var table = FlatTableLoader.Load(TestPaths.XEducation, new FlatTableOptions { Target = "Converted", IdColumn = "Prospect ID", Exclude = ["Lead Number"] });
        foreach (var p in LeakageAudit.Profile(table.Frame).OrderByDescending(p => p.Auc))
            output.WriteLine($"{p.Feature,-50} auc={p.Auc:F3} filledAuc={p.FilledAuc:F3} filled={p.FilledShare:F2} fill+={p.FillPositive:F2} fill-={p.FillNegative:F2} fillAuc={p.FillAuc:F2} pure={p.PureCoverage:F2}");
        var findings = LeakageAudit.Run(table.Frame);
        foreach (var f in findings) output.WriteLine($"FLAG {f.Feature}: {f.Reason}");
        findings.Select(f => f.Feature).ShouldContain("Tags");
        findings.Select(f => f.Feature).ShouldContain("Lead Quality");
    }
}

public sealed class LeakageAuditOnGeneratedDataTests(ITestOutputHelper output)
{
    [Fact]
    public void Flags_the_crm_stage_written_after_the_outcome_but_no_point_in_time_feature()
    {
        var ds = FeatureTestData.SmallSet;
        var computer = new FeatureComputer(FeatureTestData.Defaults(ds));
        var frame = new TrainingSetBuilder(computer).Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes).Frame;
        foreach (var p in LeakageAudit.Profile(frame).OrderByDescending(p => p.FillAuc).Take(15))
            output.WriteLine($"{p.Feature,-40} auc={p.Auc:F3} filledAuc={p.FilledAuc:F3} filled={p.FilledShare:F2} fill+={p.FillPositive:F2} fill-={p.FillNegative:F2} fillAuc={p.FillAuc:F2} pure={p.PureCoverage:F2}");
        var findings = LeakageAudit.Run(frame);
        foreach (var f in findings) output.WriteLine($"FLAG {f.Feature}: {f.Reason}");
        findings.Select(f => f.Feature).ShouldContain(LeadFields.Stage);
        // Every feature derived point in time is honest: nothing from activities or enrichment is flagged.
        findings.Select(f => f.Feature).ShouldBe([LeadFields.Stage]);
    }

    [Fact]
    public void A_leaky_builder_that_looks_past_the_outcome_is_caught()
    {
        // Rows built 30 days after the outcome (what a naive builder does with "all activity so far").
        var ds = FeatureTestData.SmallSet;
        var computer = new FeatureComputer(FeatureTestData.Defaults(ds).RawAttributesOnly() with { Attributes = [], Activities = FeatureTestData.Defaults(ds).Activities });
        var byLead = FeatureTestData.ActivitiesByLead(ds);
        var leads = ds.Leads.ToDictionary(l => l.Id);
        var frame = new FeatureFrame(computer.Features);
        foreach (var o in ds.Outcomes)
            frame.Add(o.LeadId, computer.Compute(leads[o.LeadId], byLead.GetValueOrDefault(o.LeadId, []), [], o.At.AddDays(30)), o.Kind == OutcomeKind.Converted, o.At.AddDays(30));
        var findings = LeakageAudit.Run(frame);
        foreach (var f in findings) output.WriteLine($"FLAG {f.Feature}: {f.Reason}");
        findings.ShouldContain(f => f.Feature.StartsWith("visits_") || f.Feature.StartsWith("count_page_view") || f.Feature.StartsWith("count_meeting") || f.Feature.StartsWith("engagement"));
    }

    [Fact]
    public void Values_that_change_right_after_the_outcome_are_flagged_when_history_is_given()
    {
        // Given 400 leads; "status" changes within a day after the outcome for most, "region" changes at random times
        var frame = new FeatureFrame([new FeatureInfo("status", FeatureKind.Categorical, ""), new FeatureInfo("region", FeatureKind.Categorical, "")]);
        var outcomes = new Dictionary<string, DateTimeOffset>();
        var history = new List<FeatureChange>();
        var rng = new Random(1);
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 400; i++)
        {
            var id = $"L{i}";
            var at = t0.AddDays(rng.Next(300));
            outcomes[id] = at;
            frame.Add(id, [FeatureValue.Of("open"), FeatureValue.Of(rng.Next(2) == 0 ? "east" : "west")], rng.Next(5) == 0, at.AddDays(-14));
            if (i % 3 != 0) history.Add(new FeatureChange(id, "status", at.AddHours(rng.Next(1, 30))));
            history.Add(new FeatureChange(id, "region", t0.AddDays(rng.Next(365))));
        }
        // When audited with the history
        var findings = LeakageAudit.Run(frame, new LeakageAuditOptions { History = history, OutcomeTimes = outcomes });
        // Then only the status is flagged
        findings.Select(f => f.Feature).ShouldBe(["status"]);
        findings[0].Reason.ShouldContain("after the outcome");
        LeakageAudit.Run(frame).ShouldBeEmpty();
    }

    [Fact]
    public void A_feature_filled_for_one_class_only_scores_chance_among_its_filled_rows()
    {
        // Given a number that is filled only on converted leads
        var frame = new FeatureFrame([new FeatureInfo("x", FeatureKind.Numeric, "x")]);
        for (var i = 0; i < 100; i++)
            frame.Add($"L{i}", [i % 4 == 0 ? FeatureValue.Of(i) : FeatureValue.Missing], label: i % 4 == 0 || i % 7 == 0);

        var profile = LeakageAudit.Profile(frame).Single();

        // Then its AUC among filled rows is 0.5 (no ranking within one class), not NaN; filling itself is the signal
        profile.FilledAuc.ShouldBe(0.5);
        profile.FillPositive.ShouldBe(1.0 * 25 / frame.Labels.Count(l => l));
        profile.FillAuc.ShouldBeGreaterThan(0.5);
    }
}

public sealed class LeakageAuditSampleTests
{
    [Fact]
    public void A_frame_above_the_row_cap_is_audited_on_a_seeded_sample_with_the_same_findings()
    {
        var rng = new Random(7);
        var frame = new FeatureFrame([new FeatureInfo("stage", FeatureKind.Categorical, ""), new FeatureInfo("visits", FeatureKind.Numeric, "")]);
        for (var i = 0; i < 6000; i++)
        {
            var won = rng.NextDouble() < 0.2;
            // "stage" is written after the outcome: almost always "won" for the converted; "visits" is an honest, weak signal.
            var stage = won ? (rng.NextDouble() < 0.98 ? "won" : "open") : (rng.NextDouble() < 0.98 ? "lost" : "open");
            frame.Add($"l{i}", [FeatureValue.Of(stage), FeatureValue.Of(rng.Next(0, 10) + (won ? 2 : 0))], won);
        }
        var full = LeakageAudit.Run(frame, new LeakageAuditOptions { MaxRows = 0 });
        var sampled = LeakageAudit.Run(frame, new LeakageAuditOptions { MaxRows = 1500 });
        Assert.Equal(["stage"], full.Select(f => f.Feature));
        Assert.Equal(full.Select(f => f.Feature), sampled.Select(f => f.Feature));
        // The sample is seeded: the same frame gives the same figures every time.
        Assert.Equal(sampled.Select(f => f.Reason), LeakageAudit.Run(frame, new LeakageAuditOptions { MaxRows = 1500 }).Select(f => f.Reason));
        var sample = LeakageAudit.Sample(frame, 1500);
        Assert.Equal(1500, sample.Count);
        Assert.Equal(sample.Ids.Distinct().Count(), sample.Count);
        Assert.Same(frame, LeakageAudit.Sample(frame, 6000));
    }
}
