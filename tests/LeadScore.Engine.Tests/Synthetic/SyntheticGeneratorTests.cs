using LeadScore.Core;
using LeadScore.Engine.Synthetic;
using LeadScore.TestKit;

namespace LeadScore.Engine.Tests.Synthetic;

public sealed class SyntheticGeneratorTests
{
    [Fact]
    public void Same_seed_writes_identical_files_and_another_seed_does_not()
    {
        var a = TestPaths.NewTempDir();
        var b = TestPaths.NewTempDir();
        var c = TestPaths.NewTempDir();
        SyntheticGenerator.WriteCsv(a, new SyntheticOptions { Leads = 600, Seed = 7 });
        SyntheticGenerator.WriteCsv(b, new SyntheticOptions { Leads = 600, Seed = 7 });
        SyntheticGenerator.WriteCsv(c, new SyntheticOptions { Leads = 600, Seed = 8 });
        foreach (var f in SyntheticGenerator.Files)
            File.ReadAllBytes(Path.Combine(a, f)).ShouldBe(File.ReadAllBytes(Path.Combine(b, f)), f);
        File.ReadAllText(Path.Combine(a, "leads.csv")).ShouldNotBe(File.ReadAllText(Path.Combine(c, "leads.csv")));
    }

    [Fact]
    public void Activity_after_the_observed_until_time_is_not_written_and_the_rest_is_unchanged()
    {
        // Leads created near the period's end keep acting for up to the decision days after it
        var o = new SyntheticOptions { Leads = 400, Seed = 5 };
        var end = o.Start.AddDays(o.Days);
        var all = SyntheticGenerator.Generate(o);
        all.Activities.ShouldContain(a => a.Timestamp >= end);

        var cut = SyntheticGenerator.Generate(o with { ObservedUntil = end });
        cut.Activities.ShouldAllBe(a => a.Timestamp < end);
        cut.Activities.Select(a => a.EventId).ShouldBe(all.Activities.Where(a => a.Timestamp < end).Select(a => a.EventId));
        cut.Leads.Count.ShouldBe(all.Leads.Count);
        cut.Outcomes.Count.ShouldBe(all.Outcomes.Count);
    }

    [Fact]
    public void Files_have_the_canonical_headers()
    {
        var d = TestPaths.NewTempDir();
        SyntheticGenerator.WriteCsv(d, new SyntheticOptions { Leads = 50, Seed = 1 });
        string Header(string f) => File.ReadLines(Path.Combine(d, f)).First();
        Header("leads.csv").ShouldStartWith("lead_id,email,first_name,last_name,phone,company,domain,industry,company_size,country,job_title,source,stage,owner,created_at,");
        Header("leads.csv").ShouldContain("custom_budget_confirmed");
        foreach (var f in new[] { "activities_web.csv", "activities_email.csv", "activities_social.csv", "activities_sales.csv" })
            Header(f).ShouldStartWith("event_id,lead_id,type,timestamp,url,value");
        Header("enrichment.csv").ShouldBe("domain,as_of,employees,revenue_band,industry,technologies,intent_score");
        Header("outcomes.csv").ShouldBe("lead_id,outcome,date");
        Header("truth.csv").ShouldBe("lead_id,probability");
        File.ReadLines(Path.Combine(d, "activities_web.csv")).Skip(1).First().ShouldMatch(@"^L\d{6}-\d{5},L\d{6},\w+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,");
        File.ReadLines(Path.Combine(d, "outcomes.csv")).Skip(1).First().ShouldMatch(@"^L\d{6},(converted|lost),\d{4}-\d\d-\d\d$");
    }

    [Fact]
    public void Base_rate_is_near_12_percent_and_outcomes_follow_the_truth()
    {
        var ds = SyntheticGenerator.Generate(new SyntheticOptions { Leads = 6000, Seed = 3 });
        var meanP = ds.Truth.Values.Average();
        meanP.ShouldBeInRange(0.09, 0.16);
        var converted = ds.Outcomes.Where(o => o.Kind == OutcomeKind.Converted).Select(o => o.LeadId).ToHashSet();
        var closed = ds.Outcomes.Select(o => o.LeadId).ToHashSet();
        ((double)converted.Count / closed.Count).ShouldBeInRange(0.08, 0.18);
        // Converted leads had a much higher true probability than lost ones (the process is learnable).
        var pConverted = converted.Average(id => ds.Truth[id]);
        var pLost = closed.Except(converted).Average(id => ds.Truth[id]);
        pConverted.ShouldBeGreaterThan(3 * pLost);
        ds.Summary.Leads.ShouldBe(6000);
        ds.Activities.Count.ShouldBe((int)ds.Summary.Activities);
        (ds.Activities.Count / 6000.0).ShouldBeInRange(30, 90);
    }

    [Fact]
    public void Activity_continues_after_the_outcome_and_depends_on_it()
    {
        var ds = SyntheticGenerator.Generate(new SyntheticOptions { Leads = 3000, Seed = 5 });
        var outcomes = ds.Outcomes.ToDictionary(o => o.LeadId);
        var onboardingAfter = new Dictionary<OutcomeKind, int> { [OutcomeKind.Converted] = 0, [OutcomeKind.Lost] = 0 };
        var leadsAfter = new HashSet<string>();
        foreach (var a in ds.Activities)
        {
            if (!outcomes.TryGetValue(a.LeadId, out var o) || a.Timestamp <= o.At) continue;
            leadsAfter.Add(a.LeadId);
            if (a.Url is { } u && (u.StartsWith("/app/onboarding") || u.StartsWith("/docs/getting-started"))) onboardingAfter[o.Kind]++;
        }
        leadsAfter.Count.ShouldBeGreaterThan(outcomes.Count / 2);
        onboardingAfter[OutcomeKind.Converted].ShouldBeGreaterThan(100);
        onboardingAfter[OutcomeKind.Lost].ShouldBe(0);
    }

    [Fact]
    public void Stored_orders_hold_leads_by_id_and_activities_by_lead_then_time()
    {
        var ds = SyntheticGenerator.Generate(new SyntheticOptions { Leads = 400, Seed = 9 });
        ds.Leads.Select(l => l.Id).ShouldBe(ds.Leads.Select(l => l.Id).Order(StringComparer.Ordinal));
        for (var i = 1; i < ds.Activities.Count; i++)
        {
            var (p, a) = (ds.Activities[i - 1], ds.Activities[i]);
            var c = string.CompareOrdinal(p.LeadId, a.LeadId);
            c.ShouldBeLessThanOrEqualTo(0);
            if (c == 0) { (p.Timestamp <= a.Timestamp).ShouldBeTrue(); string.CompareOrdinal(p.EventId, a.EventId).ShouldBeLessThan(0); }
        }
        ds.Enrichment.GroupBy(e => e.Domain).ShouldAllBe(g => g.Count() >= 1);
    }
}
