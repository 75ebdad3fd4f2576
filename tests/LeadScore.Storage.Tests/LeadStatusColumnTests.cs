using System.Data.Common;
using Dapper;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace LeadScore.Storage.Tests;

/// <summary>
/// scores_latest.status (migration 016) on both backends: written with each score, kept by outcome imports, read by the
/// leads list and the open-leads query, and filled in for the scores of a database created before it.
/// </summary>
public sealed class LeadStatusColumnTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static StoredScore S(string lead, double p, string grade = "A") => new()
    {
        LeadId = lead, Probability = p, Score = (int)(p * 100), Grade = grade, ModelVersion = "v1", ScoredAt = T0, Cause = ScoreCause.NewData,
    };

    private static Outcome O(string lead, OutcomeKind kind, int day) => new() { LeadId = lead, Kind = kind, At = T0.AddDays(day) };

    private static Lead L(string id) => new() { Id = id, CreatedAt = T0.AddDays(-10), Attributes = new Dictionary<string, string?> { [LeadFields.Company] = "Acme " + id } };

    private static async Task<Dictionary<string, string>> StatusesAsync(DbConnection db) =>
        (await db.QueryAsync<(string Lead, string Status)>("SELECT lead_id, status FROM scores_latest")).ToDictionary(r => r.Lead, r => r.Status);

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task The_status_is_written_with_each_score_and_follows_every_outcome(string backend)
    {
        var (store, ws, cs) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await using var db = await RawDatabase.OpenAsync(backend, ws, cs);
        await store.UpsertLeadsAsync([L("a"), L("b"), L("c"), L("d"), L("e")]);
        // Given: e has an outcome before it is ever scored
        await store.InsertOutcomesAsync([O("e", OutcomeKind.Lost, 1)]);

        // When: every lead is scored, then outcomes arrive (b lost then reopened; c lost and reopened at the same time)
        await store.SaveScoresAsync([S("a", 0.9), S("b", 0.8), S("c", 0.7), S("d", 0.6), S("e", 0.95)]);
        var scored = await StatusesAsync(db);
        await store.InsertOutcomesAsync([O("a", OutcomeKind.Converted, 2), O("b", OutcomeKind.Lost, 2), O("c", OutcomeKind.Lost, 3), O("c", OutcomeKind.Reopened, 3)]);
        var closed = await StatusesAsync(db);
        await store.InsertOutcomesAsync([O("b", OutcomeKind.Reopened, 4), O("d", OutcomeKind.Converted, 4)]);
        // A re-score keeps the status its outcomes give
        await store.SaveScoresAsync([S("a", 0.91), S("d", 0.5, "B")]);

        // Then
        scored.ShouldBe(new Dictionary<string, string> { ["a"] = "open", ["b"] = "open", ["c"] = "open", ["d"] = "open", ["e"] = "lost" }, ignoreOrder: true);
        closed.ShouldBe(new Dictionary<string, string> { ["a"] = "won", ["b"] = "lost", ["c"] = "open", ["d"] = "open", ["e"] = "lost" }, ignoreOrder: true);
        (await StatusesAsync(db)).ShouldBe(new Dictionary<string, string> { ["a"] = "won", ["b"] = "open", ["c"] = "open", ["d"] = "won", ["e"] = "lost" }, ignoreOrder: true);
        (await store.ListTopScoresAsync("A", 10, openOnly: true)).Select(s => s.LeadId).ShouldBe(["b", "c"]);
        (await store.ListTopScoresAsync(null, 10, openOnly: true)).Select(s => s.LeadId).ShouldBe(["b", "c"]);
        var page = await store.ListLeadPageAsync(new LeadPageQuery { Limit = 10 });
        page.Items.Select(i => (i.Score.LeadId, i.Status)).ShouldBe(
            [("e", LeadStatus.Lost), ("a", LeadStatus.Won), ("b", LeadStatus.Open), ("c", LeadStatus.Open), ("d", LeadStatus.Won)]);
        (await store.ListLeadPageAsync(new LeadPageQuery { Grade = "A", Statuses = new HashSet<LeadStatus> { LeadStatus.Open }, Limit = 1 }))
            .ShouldSatisfyAllConditions(p => p.Items.Select(i => i.Score.LeadId).ShouldBe(["b"]), p => p.HasMore.ShouldBeTrue());
        (await store.ListLeadPageAsync(new LeadPageQuery { Statuses = new HashSet<LeadStatus> { LeadStatus.Won, LeadStatus.Lost }, Limit = 10 }))
            .Items.Select(i => i.Score.LeadId).ShouldBe(["e", "a", "d"]);
        (await store.ListLeadPageAsync(new LeadPageQuery { Statuses = new HashSet<LeadStatus>(), Limit = 10 })).Items.ShouldBeEmpty();
        var openRange = new List<string>();
        await foreach (var s in store.StreamLatestScoresOfOpenLeadsAsync(LeadIdRange.All)) openRange.Add(s.LeadId);
        openRange.ShouldBe(["b", "c"]);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_database_created_before_migration_016_gets_the_status_of_its_scored_leads(string backend)
    {
        // Given: a database migrated to 015 (the product's own SQL files) with scores and outcomes
        var ws = TestPaths.NewTempDir("ws");
        var cs = backend == TestStores.Postgres ? await TestStores.CreatePostgresDatabaseAsync() : null;
        await using (var c = await RawDatabase.OpenAsync(backend, ws, cs))
        {
            await c.ExecuteAsync("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
            foreach (var (version, name, sql) in ActivityPartitionTests.EmbeddedMigrations(backend == TestStores.Postgres ? "Postgres" : "Sqlite").Where(m => m.Version <= 15).OrderBy(m => m.Version))
            {
                await c.ExecuteAsync(sql);
                await c.ExecuteAsync("INSERT INTO schema_migrations VALUES (@version, @name, '2026-11-30T00:00:00Z')", new { version = (long)version, name });
            }
            foreach (var (lead, p) in new[] { ("a", 0.9), ("b", 0.8), ("c", 0.7), ("d", 0.6) })
                await c.ExecuteAsync("INSERT INTO scores_latest (lead_id, probability, score, grade, model_version, scored_at, cause, reasons) VALUES (@lead, @p, 50, 'A', 'v1', 0, 'NewData', '[]')", new { lead, p });
            foreach (var (lead, kind, at) in new[] { ("a", "converted", 10L), ("b", "lost", 10L), ("b", "reopened", 20L), ("c", "lost", 30L), ("c", "reopened", 30L), ("d", "lost", 5L), ("d", "converted", 6L) })
                await c.ExecuteAsync("INSERT INTO outcomes (lead_id, kind, at) VALUES (@lead, @kind, @at)", new { lead, kind, at });
        }

        // When: the store opens it
        await using var store = await LeadStore.OpenAsync(ws, cs);
        await using var db = await RawDatabase.OpenAsync(backend, ws, cs);

        // Then: each scored lead's status is its latest outcome's (reopened winning a tie)
        (await StatusesAsync(db)).ShouldBe(new Dictionary<string, string> { ["a"] = "won", ["b"] = "open", ["c"] = "open", ["d"] = "won" }, ignoreOrder: true);
        (await store.ListTopScoresAsync("A", 10, openOnly: true)).Select(s => s.LeadId).ShouldBe(["b", "c"]);
    }
}
