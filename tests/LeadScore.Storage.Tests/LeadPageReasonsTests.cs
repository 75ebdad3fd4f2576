using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>The leads list with and without the scores' reasons (<see cref="LeadPageQuery.WithReasons"/>), on both backends.</summary>
public sealed class LeadPageReasonsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_page_without_reasons_lists_the_same_leads_and_scores_and_leaves_the_reasons_unread(string backend)
    {
        // Given: four scored leads, three of them A, each with its own reasons
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.UpsertLeadsAsync(new[] { "a", "b", "c", "d" }.Select(id => new Lead
        {
            Id = id, CreatedAt = T0.AddDays(-3), Attributes = new Dictionary<string, string?> { [LeadFields.Company] = "Acme " + id },
        }).ToList());
        await store.SaveScoresAsync([Score("a", 0.91), Score("b", 0.72), Score("c", 0.95), Score("d", 0.93)]);

        // When: the same page with and without reasons
        var query = new LeadPageQuery { Grade = "A", Limit = 2, TrendAsOf = T0.AddDays(1) };
        var full = await store.ListLeadPageAsync(query);
        var lean = await store.ListLeadPageAsync(query with { WithReasons = false });

        // Then: the same rows, figures and order; the reasons only where asked for
        full.Items.Select(i => i.Score.ReasonsJson).ShouldBe([Reasons("c"), Reasons("d")]);
        lean.Items.Select(i => i.Score.ReasonsJson).ShouldBe(["[]", "[]"]);
        lean.Items.Select(i => (i.Score.LeadId, i.Score.Probability, i.Score.Score, i.Score.Grade, i.Score.ScoredAt, i.Company, i.Status, i.ScoreThen))
            .ShouldBe(full.Items.Select(i => (i.Score.LeadId, i.Score.Probability, i.Score.Score, i.Score.Grade, i.Score.ScoredAt, i.Company, i.Status, i.ScoreThen)));
        lean.HasMore.ShouldBe(full.HasMore);
        full.HasMore.ShouldBeTrue();
    }

    private static string Reasons(string lead) =>
        $$"""[{"feature":"pricing_visits","text":"Visited pricing ({{lead}})","points":12.5,"value":"3"}]""";

    private static StoredScore Score(string lead, double p) => new()
    {
        LeadId = lead, Probability = p, Score = (int)(p * 100), Grade = p >= 0.9 ? "A" : "B", ModelVersion = "v1", ScoredAt = T0,
        Cause = ScoreCause.NewData, ReasonsJson = Reasons(lead),
    };
}
