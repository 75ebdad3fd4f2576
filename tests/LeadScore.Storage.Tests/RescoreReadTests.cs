using System.Globalization;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>
/// The reads re-scoring uses so that its cost follows what it re-scores, not everything stored: the open leads of a range
/// (with their activities and latest scores), a set of leads by id, and a count of leads created in a period. SQLite and PostgreSQL.
/// </summary>
public sealed class RescoreReadTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Leads and how their outcomes leave them: open or closed by the latest outcome, 'reopened' winning a tie.</summary>
    private static readonly (string Id, (OutcomeKind Kind, int Day)[] Outcomes, bool Open)[] Cases =
    [
        ("a-none", [], true),
        ("B-won", [(OutcomeKind.Converted, 3)], false),
        ("c-lost", [(OutcomeKind.Lost, 3)], false),
        ("D-lost-reopened", [(OutcomeKind.Lost, 3), (OutcomeKind.Reopened, 5)], true),
        ("e-tie", [(OutcomeKind.Lost, 4), (OutcomeKind.Reopened, 4)], true),
        ("F-reopened-won", [(OutcomeKind.Lost, 2), (OutcomeKind.Reopened, 3), (OutcomeKind.Converted, 6)], false),
        ("g-won-lost", [(OutcomeKind.Converted, 2), (OutcomeKind.Lost, 6)], false),
        ("H-only-reopened", [(OutcomeKind.Reopened, 2)], true),
    ];

    private static StoredScore Score(string leadId, DateTimeOffset at) => new()
    {
        LeadId = leadId, Probability = 0.4, Score = 40, Grade = "C", ModelVersion = "m1", ScoredAt = at, Cause = ScoreCause.NewData, ReasonsJson = "[]",
    };

    private static async Task SeedAsync(ILeadStore store)
    {
        await store.UpsertLeadsAsync(Cases.Select(c => new Lead { Id = c.Id, CreatedAt = T0 }).ToList());
        await store.InsertOutcomesAsync(Cases.SelectMany(c => c.Outcomes.Select(o => new Outcome { LeadId = c.Id, Kind = o.Kind, At = T0.AddDays(o.Day) })).ToList());
        // Two activities per lead: day 1 and day 8 (the re-score's "now" is day 7, so only the first counts).
        await store.InsertActivitiesAsync(Cases.SelectMany(c => new[]
        {
            new Activity { EventId = c.Id + "-1", LeadId = c.Id, Type = "page_view", Timestamp = T0.AddDays(1) },
            new Activity { EventId = c.Id + "-8", LeadId = c.Id, Type = "page_view", Timestamp = T0.AddDays(8) },
        }).ToList());
        await store.SaveScoresAsync(Cases.Select(c => Score(c.Id, T0.AddDays(1))).ToList());
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Open_lead_streams_leave_out_won_and_lost_leads_and_later_activities_in_lead_id_order(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await SeedAsync(store);
        var open = Cases.Where(c => c.Open).Select(c => c.Id).Order(StringComparer.Ordinal).ToList();

        var leads = new List<string>();
        await foreach (var l in store.StreamOpenLeadsAsync(LeadIdRange.All)) leads.Add(l.Id);
        leads.ShouldBe(open);

        var activities = new List<string>();
        await foreach (var a in store.StreamActivitiesOfOpenLeadsAsync(LeadIdRange.All, T0.AddDays(7))) activities.Add(a.EventId);
        activities.ShouldBe(open.Select(id => id + "-1").ToList());

        var scores = new List<string>();
        await foreach (var s in store.StreamLatestScoresOfOpenLeadsAsync(LeadIdRange.All)) scores.Add(s.LeadId);
        scores.ShouldBe(open);

        // A range cut: each part holds only its own open leads, together all of them once.
        var boundaries = await store.GetLeadIdBoundariesAsync(3);
        var seen = new List<string>();
        foreach (var range in LeadIdRange.Cut(boundaries))
        {
            var part = new List<string>();
            await foreach (var l in store.StreamOpenLeadsAsync(range)) part.Add(l.Id);
            await foreach (var a in store.StreamActivitiesOfOpenLeadsAsync(range, T0.AddDays(7))) part.ShouldContain(a.LeadId);
            await foreach (var s in store.StreamLatestScoresOfOpenLeadsAsync(range)) part.ShouldContain(s.LeadId);
            seen.AddRange(part);
        }
        seen.Order(StringComparer.Ordinal).ShouldBe(open);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Streams_by_id_read_the_named_leads_across_batches_in_ordinal_order_and_skip_unknown_ids(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        // More ids than one query takes (500), in case and digit orders that differ between collations.
        var ids = Enumerable.Range(0, 1203).Select(i => (i % 3) switch { 0 => $"a{i:D4}", 1 => $"B{i:D4}", _ => $"{i:D4}x" }).ToList();
        await store.UpsertLeadsAsync(ids.Select(id => new Lead { Id = id, CreatedAt = T0 }).ToList());
        await store.InsertActivitiesAsync(ids.SelectMany(id => new[]
        {
            new Activity { EventId = id + "-2", LeadId = id, Type = "page_view", Timestamp = T0.AddDays(2) },
            new Activity { EventId = id + "-1", LeadId = id, Type = "page_view", Timestamp = T0.AddDays(1) },
            new Activity { EventId = id + "-9", LeadId = id, Type = "page_view", Timestamp = T0.AddDays(9) },
        }).ToList());
        await store.SaveScoresAsync(ids.Select(id => Score(id, T0)).ToList());
        // Every other lead, named twice, plus ids nobody stored.
        var wanted = ids.Where((_, i) => i % 2 == 0).ToList();
        var asked = wanted.Concat(wanted.Take(10)).Concat(["nobody", "zz-none"]).Reverse().ToList();
        var expected = wanted.Order(StringComparer.Ordinal).ToList();

        var leads = new List<string>();
        await foreach (var l in store.StreamLeadsAsync(asked)) leads.Add(l.Id);
        leads.ShouldBe(expected);

        var activities = new List<string>();
        await foreach (var a in store.StreamActivitiesAsync(asked, T0.AddDays(5))) activities.Add(a.EventId);
        activities.ShouldBe(expected.SelectMany(id => new[] { id + "-1", id + "-2" }).ToList(), "per lead by time, only before the given time");

        var scores = new List<string>();
        await foreach (var s in store.StreamLatestScoresAsync(asked)) scores.Add(s.LeadId);
        scores.ShouldBe(expected);

        var none = 0;
        await foreach (var _ in store.StreamLeadsAsync(Array.Empty<string>())) none++;
        none.ShouldBe(0);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Leads_created_in_a_period_are_counted_with_both_ends_included(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.UpsertLeadsAsync(Enumerable.Range(0, 10).Select(d => new Lead { Id = "L" + d.ToString(CultureInfo.InvariantCulture), CreatedAt = T0.AddDays(d) }).ToList());

        (await store.CountLeadsCreatedAsync(T0.AddDays(2), T0.AddDays(5))).ShouldBe(4);
        (await store.CountLeadsCreatedAsync(T0.AddDays(2).AddMilliseconds(1), T0.AddDays(5).AddMilliseconds(-1))).ShouldBe(2);
        (await store.CountLeadsCreatedAsync(T0.AddDays(20), T0.AddDays(30))).ShouldBe(0);
        (await store.CountLeadsCreatedAsync(T0.AddDays(5), T0.AddDays(2))).ShouldBe(0);
    }
}
