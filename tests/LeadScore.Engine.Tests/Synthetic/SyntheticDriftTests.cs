using LeadScore.Core;
using LeadScore.Engine.Synthetic;

namespace LeadScore.Engine.Tests.Synthetic;

/// <summary>The generator's drift scenarios: each changes one thing from the drift date on, deterministically.</summary>
public sealed class SyntheticDriftTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset DriftAt = Start.AddDays(182);

    private static SyntheticDataset Generate(SyntheticDrift drift) =>
        SyntheticGenerator.Generate(new SyntheticOptions { Leads = 12_000, Seed = 7, Drift = drift, DriftAt = drift == SyntheticDrift.None ? null : DriftAt });

    private static readonly Lazy<SyntheticDataset> Plain = new(() => Generate(SyntheticDrift.None));

    private static double Share(IEnumerable<Lead> leads, string source) => leads.Average(l => l.Attributes[LeadFields.Source] == source ? 1.0 : 0.0);

    private static Dictionary<string, int> PricingViews(SyntheticDataset d)
    {
        var created = d.Leads.ToDictionary(l => l.Id, l => l.CreatedAt);
        return d.Activities
            .Where(a => a.Url is { } u && u.StartsWith("/pricing", StringComparison.Ordinal) && a.Timestamp <= created[a.LeadId].AddDays(SyntheticGenerator.DefaultDecisionDays))
            .GroupBy(a => a.LeadId).ToDictionary(g => g.Key, g => g.Count());
    }

    [Fact]
    public void Leads_before_the_drift_date_are_the_same_as_without_drift_and_the_scenario_is_deterministic()
    {
        var a = Generate(SyntheticDrift.Covariate);
        var b = Generate(SyntheticDrift.Covariate);
        a.Leads.Select(l => l.Attributes[LeadFields.Source]).ShouldBe(b.Leads.Select(l => l.Attributes[LeadFields.Source]));
        a.Truth.ShouldBe(b.Truth);
        var before = a.Leads.Where(l => l.CreatedAt < DriftAt).Select(l => l.Id).ToHashSet();
        before.Count.ShouldBeInRange(5900, 6100);
        a.Truth.Where(kv => before.Contains(kv.Key)).ShouldBe(Plain.Value.Truth.Where(kv => before.Contains(kv.Key)));
        Should.Throw<LeadScoreException>(() => SyntheticGenerator.Generate(new SyntheticOptions { Leads = 10, Drift = SyntheticDrift.Delay }));
    }

    [Fact]
    public void With_stationary_enrichment_the_enrichment_in_use_has_the_same_distribution_early_and_late_in_the_year()
    {
        // Given the companies of a world without drift and with stationary enrichment, each one's row in use on day 20 and on day 330
        var world = SyntheticGenerator.Generate(new SyntheticOptions { Leads = 12_000, Seed = 7, StationaryEnrichment = true });
        var rows = world.Enrichment.GroupBy(e => e.Domain).ToList();
        static Enrichment InUse(IEnumerable<Enrichment> company, DateTimeOffset t) => company.Where(e => e.AsOf <= t).MaxBy(e => e.AsOf)!;
        var early = rows.Select(g => InUse(g, Start.AddDays(20))).ToList();
        var late = rows.Select(g => InUse(g, Start.AddDays(330))).ToList();
        static double Number(Enrichment e, string field) => double.Parse(e.Attributes[field]!, System.Globalization.CultureInfo.InvariantCulture);
        static double Techs(Enrichment e) => e.Attributes[EnrichmentFields.Technologies] is { Length: > 0 } t ? t.Split(';').Length : 0;
        static double Sd(IReadOnlyList<double> x) { var m = x.Average(); return Math.Sqrt(x.Average(v => (v - m) * (v - m))); }

        // Then each value moves from row to row but not with the calendar: the means and spreads agree (thousands of companies;
        // the default world, whose companies add a technology at 30% of refreshes, grow 1% a refresh and let intent walk,
        // moves these by +1.4 technologies, +4.5% employees and +6 points of intent spread over the year).
        rows.Count.ShouldBeGreaterThan(4000);
        late.Count(l => early.Contains(l)).ShouldBeLessThan(rows.Count / 10);
        var (te, tl) = (early.Select(Techs).ToList(), late.Select(Techs).ToList());
        Math.Abs(tl.Average() - te.Average()).ShouldBeLessThan(0.15);
        var (ee, el) = (early.Select(e => Math.Log(Number(e, EnrichmentFields.Employees))).ToList(), late.Select(e => Math.Log(Number(e, EnrichmentFields.Employees))).ToList());
        Math.Abs(el.Average() - ee.Average()).ShouldBeLessThan(0.01);
        var (ie, il) = (early.Select(e => Number(e, EnrichmentFields.IntentScore)).ToList(), late.Select(e => Number(e, EnrichmentFields.IntentScore)).ToList());
        Math.Abs(il.Average() - ie.Average()).ShouldBeLessThan(1.0);
        Math.Abs(Sd(il) - Sd(ie)).ShouldBeLessThan(1.0);
        // The age of the row in use (its refresh cycle is at a random point on day 20 as on day 330) and a previous row to
        // compare with (intent_change) are there from the start.
        var ageEarly = early.Average(e => (Start.AddDays(20) - e.AsOf).TotalDays);
        var ageLate = late.Average(e => (Start.AddDays(330) - e.AsOf).TotalDays);
        Math.Abs(ageLate - ageEarly).ShouldBeLessThan(3);
        rows.ShouldAllBe(g => g.Count(e => e.AsOf <= Start) == 2);
    }

    [Fact]
    public void Covariate_drift_moves_the_source_mix_and_keeps_the_conversion_rate()
    {
        var d = Generate(SyntheticDrift.Covariate);
        var after = d.Leads.Where(l => l.CreatedAt >= DriftAt).ToList();
        var plainAfter = Plain.Value.Leads.Where(l => l.CreatedAt >= DriftAt).ToList();

        Share(after, "cold_outbound").ShouldBeGreaterThan(Share(plainAfter, "cold_outbound") + 0.12);
        Share(after, "organic_search").ShouldBeLessThan(Share(plainAfter, "organic_search") - 0.08);
        Math.Abs(after.Average(l => d.Truth[l.Id]) - plainAfter.Average(l => Plain.Value.Truth[l.Id])).ShouldBeLessThan(0.015);
    }

    [Fact]
    public void Concept_drift_keeps_pricing_visits_as_they_were_but_they_stop_predicting_conversion()
    {
        var d = Generate(SyntheticDrift.Concept);
        var views = PricingViews(d);
        var plainViews = PricingViews(Plain.Value);
        var after = d.Leads.Where(l => l.CreatedAt >= DriftAt).Select(l => l.Id).ToList();
        double Mean(IEnumerable<string> ids, Dictionary<string, int> v) => ids.Average(id => (double)v.GetValueOrDefault(id));
        // The feature's distribution stays (the same random stream drives the visits).
        Mean(after, views).ShouldBe(Mean(after, plainViews), 1e-12);
        // Its effect on the truth goes: among leads alike in everything else, pricing visits no longer raise the probability.
        double Lift(SyntheticDataset s, Dictionary<string, int> v) =>
            after.Where(id => v.GetValueOrDefault(id) > 0).Average(id => s.Truth[id]) / after.Where(id => v.GetValueOrDefault(id) == 0).Average(id => s.Truth[id]);
        Lift(d, views).ShouldBeLessThan(Lift(Plain.Value, plainViews) - 0.3);
        Math.Abs(after.Average(id => d.Truth[id]) - after.Average(id => Plain.Value.Truth[id])).ShouldBeLessThan(0.015);
    }

    [Fact]
    public void Delay_drift_closes_conversions_later()
    {
        var d = Generate(SyntheticDrift.Delay);
        static double MedianDays(SyntheticDataset s) => s.Outcomes.Where(o => o.Kind == OutcomeKind.Converted)
            .Join(s.Leads.Where(l => l.CreatedAt >= DriftAt && l.CreatedAt < DriftAt.AddDays(60)), o => o.LeadId, l => l.Id, (o, l) => (o.At - l.CreatedAt).TotalDays)
            .Order().ToList() is var days ? days[days.Count / 2] : 0;
        MedianDays(d).ShouldBeGreaterThan(MedianDays(Plain.Value) + 10);
    }
}
