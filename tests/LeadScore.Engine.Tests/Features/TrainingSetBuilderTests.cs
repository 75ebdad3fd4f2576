using LeadScore.Core;
using LeadScore.Engine.Features;

namespace LeadScore.Engine.Tests.Features;

public sealed class TrainingSetBuilderTests
{
    /// <summary>A value as a frame holds it and a model reads it: numbers as 32-bit floats.</summary>
    private static FeatureValue AsModelReadsIt(FeatureValue v) => v.Category is null ? new FeatureValue((float)v.Number, null) : v;

    private static bool SameBits(FeatureValue a, FeatureValue b) =>
        BitConverter.DoubleToInt64Bits(a.Number) == BitConverter.DoubleToInt64Bits(b.Number) && a.Category == b.Category;

    [Fact]
    public void Online_vector_equals_training_row_bit_for_bit_on_generated_data()
    {
        // Given the generated data set and the training set built offline in one pass
        var ds = FeatureTestData.SmallSet;
        var computer = new FeatureComputer(FeatureTestData.Defaults(ds));
        var set = new TrainingSetBuilder(computer).Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes);
        set.Frame.Count.ShouldBeGreaterThan(500);

        // When each lead is computed online as the store serves it: only activities before t, the domain's enrichment
        var byLead = FeatureTestData.ActivitiesByLead(ds);
        var byDomain = FeatureTestData.EnrichmentByDomain(ds);
        var leads = ds.Leads.ToDictionary(l => l.Id);
        // Standardised inputs too (logistic regression, FastTree): the slots a model reads are the same from both rows.
        var encoder = LeadScore.Engine.Features.Encoding.FeatureEncoder.Fit(set.Frame, new() { ImputeAndStandardize = true });
        for (var r = 0; r < set.Frame.Count; r++)
        {
            var lead = leads[set.Frame.Ids[r]];
            var t = set.Frame.Times[r];
            var acts = byLead.GetValueOrDefault(lead.Id, []).Where(a => a.Timestamp < t).ToList();
            var enr = byDomain.GetValueOrDefault(computer.EnrichmentDomain(lead)!, []);
            var online = computer.Compute(lead, acts, enr, t);
            encoder.Encode(online).ShouldBe(encoder.Encode(set.Frame.Row(r)), $"{lead.Id}: encoded slots");
            // Then every value is identical to the bit, at the precision models read numbers with (FeatureFrame stores floats)
            for (var f = 0; f < online.Length; f++)
                SameBits(AsModelReadsIt(online[f]), set.Frame[r, f]).ShouldBeTrue($"{lead.Id} {computer.Features[f].Name}: {online[f]} vs {set.Frame.Rows[r][f]}");
        }
    }

    [Fact]
    public void Computing_into_a_reused_buffer_writes_every_value_the_array_form_gives()
    {
        // The online path computes into a rented, reused buffer: nothing of the previous lead may survive in it.
        var ds = FeatureTestData.SmallSet;
        var computer = new FeatureComputer(FeatureTestData.Defaults(ds));
        var byLead = FeatureTestData.ActivitiesByLead(ds);
        var byDomain = FeatureTestData.EnrichmentByDomain(ds);
        var buffer = new FeatureValue[computer.Features.Count];
        Array.Fill(buffer, FeatureValue.Of("stale"));
        var t = ds.Leads.Max(l => l.CreatedAt).AddDays(30);
        foreach (var lead in ds.Leads.Take(200))
        {
            var acts = byLead.GetValueOrDefault(lead.Id, []);
            var enr = byDomain.GetValueOrDefault(computer.EnrichmentDomain(lead) ?? "", []);
            computer.Compute(lead, acts, enr, t, buffer);
            var fresh = computer.Compute(lead, acts, enr, t);
            for (var f = 0; f < fresh.Length; f++) SameBits(fresh[f], buffer[f]).ShouldBeTrue($"{lead.Id} {computer.Features[f].Name}");
        }
        Should.Throw<ArgumentException>(() => computer.Compute(ds.Leads[0], [], [], t, new FeatureValue[3]));
    }

    [Fact]
    public void Events_and_enrichment_after_the_decision_time_do_not_change_a_training_row()
    {
        var ds = FeatureTestData.SmallSet;
        var computer = new FeatureComputer(FeatureTestData.Defaults(ds));
        var builder = new TrainingSetBuilder(computer);
        var before = builder.Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes).Frame;

        // Add a burst of high-intent events right at and after each lead's decision time, and enrichment after it.
        var decision = before.Ids.Zip(before.Times).ToDictionary(x => x.First, x => x.Second);
        var extra = new List<Activity>();
        foreach (var (id, t) in decision)
            foreach (var (type, dt) in new[] { (ActivityTypes.PageView, 0.0), (ActivityTypes.FormSubmit, 0.5), (ActivityTypes.Meeting, 3.0), (ActivityTypes.PageView, 40.0) })
                extra.Add(new Activity { EventId = $"x-{id}-{type}-{dt}", LeadId = id, Type = type, Timestamp = t.AddDays(dt), Url = "/pricing", Value = 100 });
        var activities = ds.Activities.Concat(extra).OrderBy(a => a.LeadId, StringComparer.Ordinal).ThenBy(a => a.Timestamp).ThenBy(a => a.EventId, StringComparer.Ordinal).ToList();
        var leads = ds.Leads.ToDictionary(l => l.Id);
        // Several leads share a company: new enrichment comes just after the last decision time among them.
        var enrichment = ds.Enrichment.Concat(decision.GroupBy(kv => computer.EnrichmentDomain(leads[kv.Key])!).Select(g => new Enrichment
        {
            Domain = g.Key,
            AsOf = g.Max(kv => kv.Value).AddSeconds(1),
            Attributes = new Dictionary<string, string?> { ["employees"] = "99999", ["intent_score"] = "100", ["technologies"] = "AWS" },
        })).ToList();
        var after = builder.Build(ds.Leads, activities, enrichment, ds.Outcomes).Frame;

        after.Count.ShouldBe(before.Count);
        for (var r = 0; r < before.Count; r++)
        {
            after.Ids[r].ShouldBe(before.Ids[r]);
            for (var f = 0; f < before.Features.Count; f++)
                SameBits(after.Rows[r][f], before.Rows[r][f]).ShouldBeTrue($"{before.Ids[r]} {before.Features[f].Name}");
        }
        // The extra events do count once the time has passed (the test would notice if they were ignored altogether).
        var lead = leads[before.Ids[0]];
        var later = computer.Compute(lead, activities.Where(a => a.LeadId == lead.Id).ToList(), [], before.Times[0].AddDays(5));
        later[computer.IndexOf("count_meeting_7d")].Number.ShouldBeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public void Leads_whose_outcome_falls_before_the_decision_time_get_no_row_and_the_rule_is_stated()
    {
        var ds = FeatureTestData.SmallSet;
        var computer = new FeatureComputer(FeatureTestData.Defaults(ds));
        var set = new TrainingSetBuilder(computer, new TrainingSetOptions { DecisionDelay = TimeSpan.FromDays(14) }).Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes);
        var outcomes = ds.Outcomes.ToDictionary(o => o.LeadId);
        var leads = ds.Leads.ToDictionary(l => l.Id);
        var early = ds.Outcomes.Count(o => o.At <= leads[o.LeadId].CreatedAt.AddDays(14));
        early.ShouldBeGreaterThan(0);
        set.OutcomeBeforeDecision.ShouldBe(early);
        set.Frame.Count.ShouldBe(ds.Outcomes.Count - early);
        set.WithoutOutcome.ShouldBe(ds.Leads.Count - ds.Outcomes.Count);
        for (var r = 0; r < set.Frame.Count; r++)
        {
            set.Frame.Times[r].ShouldBe(leads[set.Frame.Ids[r]].CreatedAt.AddDays(14));
            set.Frame.Labels[r].ShouldBe(outcomes[set.Frame.Ids[r]].Kind == OutcomeKind.Converted);
        }
        set.Rule.ShouldBe("as of each lead's creation + 14 days");
        set.Describe().ShouldContain("outcome came at or before the decision time");

        var cutoff = new TrainingSetBuilder(computer, new TrainingSetOptions { CutoffBeforeOutcome = TimeSpan.FromDays(7) }).Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes);
        cutoff.Rule.ShouldBe("as of 7 days before each lead's outcome");
        cutoff.Frame.Count.ShouldBe(ds.Outcomes.Count);
        cutoff.Frame.Times[0].ShouldBe(outcomes[cutoff.Frame.Ids[0]].At.AddDays(-7));
    }

    [Fact]
    public async Task Async_build_from_streams_equals_the_in_memory_build()
    {
        var ds = FeatureTestData.SmallSet;
        var builder = new TrainingSetBuilder(new FeatureComputer(FeatureTestData.Defaults(ds)));
        var sync = builder.Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes);
        var async = await builder.BuildAsync(ds.Leads.ToAsyncEnumerable(), ds.Activities.ToAsyncEnumerable(), ds.Enrichment.ToAsyncEnumerable(), ds.Outcomes.ToAsyncEnumerable(), TestContext.Current.CancellationToken);
        async.Frame.Ids.ShouldBe(sync.Frame.Ids);
        for (var r = 0; r < sync.Frame.Count; r++)
            async.Frame.Rows[r].Select(v => v.ToString()).ShouldBe(sync.Frame.Rows[r].Select(v => v.ToString()));
        async.ActivitiesRead.ShouldBe(ds.Activities.Count);
    }

    [Fact]
    public void Unordered_activities_are_refused_with_a_clear_message()
    {
        var ds = FeatureTestData.SmallSet;
        var builder = new TrainingSetBuilder(new FeatureComputer(FeatureTestData.Defaults(ds)));
        var shuffled = ds.Activities.OrderByDescending(a => a.LeadId, StringComparer.Ordinal).ToList();
        Should.Throw<LeadScoreException>(() => builder.Build(ds.Leads, shuffled, ds.Enrichment, ds.Outcomes)).Message.ShouldContain("ordered by lead id");
    }

    [Fact]
    public void Known_before_keeps_only_outcomes_recorded_before_the_date()
    {
        var ds = FeatureTestData.SmallSet;
        var cut = new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero);
        var set = new TrainingSetBuilder(new FeatureComputer(FeatureTestData.Defaults(ds)), new TrainingSetOptions { KnownBefore = cut })
            .Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes);
        var outcomes = ds.Outcomes.ToDictionary(o => o.LeadId);
        set.Frame.Ids.ShouldAllBe(id => outcomes[id].At < cut);
        set.Frame.Count.ShouldBeGreaterThan(100);
        set.Rule.ShouldContain("before 2025-07-01");
    }

    [Fact]
    public void Decision_age_lists_are_stated_in_their_own_units()
    {
        var computer = new FeatureComputer(FeatureTestData.Defaults(FeatureTestData.SmallSet));
        new TrainingSetBuilder(computer, new TrainingSetOptions { DecisionAges = [TimeSpan.FromDays(30)] }).Rule.ShouldBe("as of each lead's creation + 30 days");
        new TrainingSetBuilder(computer, new TrainingSetOptions { DecisionAges = [TimeSpan.FromDays(14), TimeSpan.FromHours(36)] }).Rule
            .ShouldBe("as of each lead's creation + 36 hours, 14 days, for every age at which it was still open");
    }

    [Fact]
    public void No_row_is_built_at_an_age_when_the_lead_was_closed_and_not_yet_reopened()
    {
        // Given a lead lost on day 20, reopened on day 50 and converted on day 100
        var ds = FeatureTestData.SmallSet;
        var computer = new FeatureComputer(FeatureTestData.Defaults(ds));
        var lead = ds.Leads[0];
        var acts = ds.Activities.Where(a => a.LeadId == lead.Id).ToList();
        Outcome O(OutcomeKind k, int day) => new() { LeadId = lead.Id, Kind = k, At = lead.CreatedAt.AddDays(day) };
        Outcome[] outcomes = [O(OutcomeKind.Lost, 20), O(OutcomeKind.Reopened, 50), O(OutcomeKind.Converted, 100)];

        var set = new TrainingSetBuilder(computer, new TrainingSetOptions { DecisionAges = [.. new[] { 14, 30, 60, 90, 120 }.Select(d => TimeSpan.FromDays(d))] })
            .Build([lead], acts, ds.Enrichment, outcomes);

        // Then rows exist at 14, 60 and 90 days (open), not at 30 (closed) nor 120 (after the outcome), all labelled converted
        set.Frame.Times.ShouldBe([lead.CreatedAt.AddDays(14), lead.CreatedAt.AddDays(60), lead.CreatedAt.AddDays(90)]);
        set.Frame.Labels.ShouldAllBe(l => l);
        set.Converted.ShouldBe(1);
    }

    [Fact]
    public void With_several_decision_ages_a_lead_gets_a_point_in_time_row_at_each_age_it_was_still_open()
    {
        // Given generated data and rows at creation + 14, 30, 60 and 90 days
        var ds = FeatureTestData.SmallSet;
        var computer = new FeatureComputer(FeatureTestData.Defaults(ds));
        int[] ages = [14, 30, 60, 90];
        var set = new TrainingSetBuilder(computer, new TrainingSetOptions { DecisionAges = [.. ages.Reverse().Select(d => TimeSpan.FromDays(d))] })
            .Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes);
        var single = new TrainingSetBuilder(computer).Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes);

        // Then the leads labelled are those of the one-age set, each with one row per age before its outcome
        set.Frame.Ids.Distinct().Order(StringComparer.Ordinal).ShouldBe(single.Frame.Ids.Order(StringComparer.Ordinal));
        (set.Converted, set.Lost).ShouldBe((single.Converted, single.Lost));
        set.Frame.Count.ShouldBeGreaterThan(single.Frame.Count);
        set.Rule.ShouldContain("14, 30, 60, 90 days");
        set.Describe().ShouldContain("labelled leads");
        var leads = ds.Leads.ToDictionary(l => l.Id);
        var outcomes = ds.Outcomes.GroupBy(o => o.LeadId).ToDictionary(g => g.Key, g => g.MaxBy(o => o.At)!);
        var byLead = FeatureTestData.ActivitiesByLead(ds);
        var byDomain = FeatureTestData.EnrichmentByDomain(ds);
        foreach (var group in Enumerable.Range(0, set.Frame.Count).GroupBy(r => set.Frame.Ids[r]))
        {
            var lead = leads[group.Key];
            var expected = ages.Select(d => lead.CreatedAt.AddDays(d)).Where(t => outcomes[lead.Id].At > t).ToList();
            group.Select(r => set.Frame.Times[r]).ShouldBe(expected, lead.Id);
            group.Select(r => set.Frame.Labels[r]).Distinct().Count().ShouldBe(1);
            // And each row is the online vector as of its own time (later rows see later activity, earlier ones do not)
            foreach (var r in group)
            {
                var t = set.Frame.Times[r];
                var online = computer.Compute(lead, byLead.GetValueOrDefault(lead.Id, []).Where(a => a.Timestamp < t).ToList(), byDomain.GetValueOrDefault(computer.EnrichmentDomain(lead)!, []), t);
                for (var f = 0; f < online.Length; f++)
                    SameBits(AsModelReadsIt(online[f]), set.Frame[r, f]).ShouldBeTrue($"{lead.Id} at {t:yyyy-MM-dd} {computer.Features[f].Name}");
            }
        }
    }
}

public sealed class FeatureFrameSerializerTests
{
    [Fact]
    public void A_stored_training_set_reads_back_identical_to_the_bit()
    {
        var ds = FeatureTestData.SmallSet;
        var frame = new TrainingSetBuilder(new FeatureComputer(FeatureTestData.Defaults(ds))).Build(ds.Leads, ds.Activities, ds.Enrichment, ds.Outcomes).Frame;
        var back = FeatureFrameSerializer.Deserialize(FeatureFrameSerializer.Serialize(frame));
        back.Features.ShouldBe(frame.Features);
        back.Ids.ShouldBe(frame.Ids);
        back.Labels.ShouldBe(frame.Labels);
        back.Times.ShouldBe(frame.Times);
        for (var r = 0; r < frame.Count; r++)
            for (var f = 0; f < frame.Features.Count; f++)
            {
                BitConverter.DoubleToInt64Bits(back.Rows[r][f].Number).ShouldBe(BitConverter.DoubleToInt64Bits(frame.Rows[r][f].Number));
                back.Rows[r][f].Category.ShouldBe(frame.Rows[r][f].Category);
            }
        Should.Throw<InvalidDataException>(() => FeatureFrameSerializer.Deserialize(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 }));
    }

}

