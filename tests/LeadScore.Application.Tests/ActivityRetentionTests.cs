using System.Text.Json;
using LeadScore.Application.Features;
using LeadScore.Application.Governance;
using LeadScore.Application.Modeling;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Synthetic;
using LeadScore.Hosting;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Application.Tests;

/// <summary>
/// Retention of activities through the retention use case: on PostgreSQL it drops whole monthly partitions (after the
/// partition upkeep made the coming months), on SQLite it deletes rows; both keep the same rows, read the same lead
/// histories and build byte-identical training sets, and a re-import of what was kept changes nothing.
/// </summary>
public sealed class ActivityRetentionTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 20, 9, 30, 0, TimeSpan.Zero);
    private static readonly TimeSpan Limit = TimeSpan.FromDays(200);

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["LeadScore:Retention:Activities"] = "200.00:00:00",
        ["LeadScore:Retention:Quarantine"] = "00:00:00",
        ["LeadScore:Retention:ScoreHistory"] = "00:00:00",
        ["LeadScore:Retention:PredictionLog"] = "00:00:00",
        ["LeadScore:Partitions:MonthsAhead"] = "2",
    };

    private sealed record Outcome(long Deleted, long Kept, List<string> Partitions, byte[] Frame, long ActivitiesRead, List<Activity> HistoryOfBusiestLead,
        InsertCounts Reimport, ActivityPartitionUpkeep Upkeep, string AuditDetails);

    private static async Task<Outcome> RunAsync(string backend, SyntheticDataset data, string busiestLead)
    {
        var time = new ManualTime(Now);
        var (store, ws, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        foreach (var chunk in data.Leads.Chunk(500)) await store.UpsertLeadsAsync(chunk);
        foreach (var chunk in data.Activities.Chunk(5000)) await store.InsertActivitiesAsync(chunk);
        foreach (var chunk in data.Enrichment.Chunk(500)) await store.UpsertEnrichmentAsync(chunk);
        await store.InsertOutcomesAsync(data.Outcomes);
        var services = AppServices.For(store, ws, time, Settings);

        var upkeep = await services.Get<ActivityPartitionService>().RunAsync();
        var counts = await services.Get<RetentionService>().RunAsync(actor: Actor.System("retention"));

        var (defs, _) = await services.Get<FeatureDefinitionsRepository>().GetAsync();
        var set = await services.Get<TrainingService>().BuildTrainingSetAsync(defs, TimeSpan.FromDays(14));
        var cut = Now - Limit;
        var kept = data.Activities.Where(a => a.Timestamp >= cut).ToList();
        var reimport = default(InsertCounts);
        foreach (var chunk in kept.Chunk(5000)) reimport += await store.InsertActivitiesAsync(chunk);
        var audit = (await store.ListAuditAsync(new AuditQuery { Action = AuditActions.Retention })).ShouldHaveSingleItem();
        return new Outcome(
            counts.Single(c => c.DataClass == "activities").Rows,
            await store.CountActivitiesAsync(),
            (await store.ListActivityPartitionsAsync()).Select(p => p.Name).ToList(),
            FeatureFrameSerializer.Serialize(set.Frame),
            set.ActivitiesRead,
            [.. await store.GetActivitiesAsync(busiestLead)],
            reimport,
            upkeep,
            audit.Details);
    }

    [Fact]
    public async Task Retention_drops_old_months_on_PostgreSQL_and_keeps_what_SQLite_keeps()
    {
        // Given: a year of synthetic leads (2025), retention keeping 200 days as of 2026-01-20 (cut 2025-07-04 09:30)
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = 400, Seed = 11 });
        var cut = Now - Limit;
        var old = data.Activities.Count(a => a.Timestamp < cut);
        old.ShouldBeGreaterThan(1000);
        (data.Activities.Count - old).ShouldBeGreaterThan(1000);
        var busiest = data.Activities.Where(a => a.Timestamp < cut).GroupBy(a => a.LeadId)
            .Where(g => data.Activities.Any(a => a.LeadId == g.Key && a.Timestamp >= cut)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;

        // When: the same data and the same retention on both backends
        var sqlite = await RunAsync(TestStores.Sqlite, data, busiest);
        var pg = await RunAsync(TestStores.Postgres, data, busiest);

        // Then: both deleted exactly the activities before the cut and keep the rest
        sqlite.Deleted.ShouldBe(old);
        pg.Deleted.ShouldBe(old);
        sqlite.Kept.ShouldBe(data.Activities.Count - old);
        pg.Kept.ShouldBe(data.Activities.Count - old);
        JsonDocument.Parse(pg.AuditDetails).RootElement.GetProperty("activities").GetInt64().ShouldBe(old);
        // PostgreSQL: no month before July 2025 is left; July (cut inside it) stays; the upkeep made January to March 2026
        sqlite.Partitions.ShouldBeEmpty();
        sqlite.Upkeep.Created.ShouldBeEmpty();
        pg.Partitions.Where(p => p != "activities_default").Min(StringComparer.Ordinal).ShouldBe("activities_p202507");
        pg.Partitions.ShouldContain("activities_p202603");
        pg.Upkeep.Created.ShouldContain("activities_p202603");
        // A lead's history holds exactly its activities from the cut on, on both
        var expected = data.Activities.Where(a => a.LeadId == busiest && a.Timestamp >= cut).OrderBy(a => a.Timestamp).ThenBy(a => a.EventId, StringComparer.Ordinal)
            .Select(a => a.EventId).ToList();
        sqlite.HistoryOfBusiestLead.Select(a => a.EventId).ShouldBe(expected);
        pg.HistoryOfBusiestLead.Select(a => a.EventId).ShouldBe(expected);
        // The training set is the same, byte for byte, and read the same activities
        pg.ActivitiesRead.ShouldBe(sqlite.ActivitiesRead);
        pg.Frame.ShouldBe(sqlite.Frame);
        // Re-importing what was kept changes nothing
        pg.Reimport.ShouldBe(new InsertCounts(0, data.Activities.Count - old));
        sqlite.Reimport.ShouldBe(new InsertCounts(0, data.Activities.Count - old));
    }

    [Fact]
    public async Task The_partition_upkeep_runs_on_the_leader_only_and_again_after_its_interval()
    {
        // Given: two instances on one PostgreSQL database, with rows of a month that landed in DEFAULT
        var time = new ManualTime(Now);
        var (store, _, cs) = await TestStores.OpenAsync(TestStores.Postgres, time);
        await using var _s = store;
        await using var second = await LeadStore.OpenAsync(TestPaths.NewTempDir("leadscore-ws"), cs, time: time);
        var settings = new Dictionary<string, string?> { ["LeadScore:Partitions:MonthsAhead"] = "1", ["LeadScore:Partitions:Interval"] = "01:00:00" };
        var instances = new[] { AppServices.For(store, time: time, settings: settings), AppServices.For(second, time: time, settings: settings) };
        var leaders = await Task.WhenAll(instances.Select(s => s.Get<LeaderElection>().TryAcquireAsync(CancellationToken.None)));
        leaders.Count(l => l).ShouldBe(1);
        var leader = instances[Array.IndexOf(leaders, true)].Get<PartitionMaintenance>();
        var follower = instances[Array.IndexOf(leaders, false)].Get<PartitionMaintenance>();

        // When: both tick; then a backfill lands in DEFAULT (its month's partition missing), both tick before and after the interval
        var first = await Task.WhenAll(leader.TickAsync(CancellationToken.None), follower.TickAsync(CancellationToken.None));
        await using (var db = new Npgsql.NpgsqlConnection(cs))
        {
            await db.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand(
                "INSERT INTO activities (event_id, lead_id, type, ts) VALUES ('b1', 'L1', 'call', 1700000000000); INSERT INTO activity_ids VALUES ('b1', 'L1', 1700000000000)", db);
            await cmd.ExecuteNonQueryAsync();
        }
        var early = await leader.TickAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromHours(1));
        var due = await Task.WhenAll(leader.TickAsync(CancellationToken.None), follower.TickAsync(CancellationToken.None));

        // Then: the leader made January and February 2026 at once, the follower never ran; after the interval the
        // leader moved the backfill (November 2023) out of DEFAULT
        first[0].ShouldNotBeNull().Done.ShouldNotBeNull().Created.ShouldBe(["activities_p202601", "activities_p202602"]);
        first[1].ShouldBeNull();
        early.ShouldBeNull();
        due[1].ShouldBeNull();
        var moved = due[0].ShouldNotBeNull().Done.ShouldNotBeNull();
        moved.Created.ShouldBe(["activities_p202311"]);
        moved.MovedFromDefault.ShouldBe(1);
        (await store.ListActivityPartitionsAsync()).Single(p => p.Month is null).Rows.ShouldBe(0);
        (await store.GetActivitiesAsync("L1")).ShouldHaveSingleItem().EventId.ShouldBe("b1");
    }
}
