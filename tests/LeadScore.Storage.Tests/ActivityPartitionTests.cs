using System.Reflection;
using Dapper;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;
using Npgsql;

namespace LeadScore.Storage.Tests;

/// <summary>
/// Activities in monthly partitions on a real PostgreSQL (migration 015): imports land in their months through the
/// activity_ids registry, a re-run changes nothing, a correction across months moves the row, the upkeep creates months
/// ahead and empties DEFAULT, retention drops whole months, and a database created at migration 014 migrates in place.
/// </summary>
public sealed class ActivityPartitionTests
{
    private static readonly DateTimeOffset Jan = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Activity Act(string id, string lead, DateTimeOffset at, string type = ActivityTypes.PageView, double? value = null) => new()
    {
        EventId = id, LeadId = lead, Type = type, Timestamp = at, Value = value, Url = "https://acme.example/" + id,
        Properties = new Dictionary<string, string?> { ["campaign"] = "c-" + id },
    };

    /// <summary>Three months of activities for three leads, including the last millisecond of January and the first of February.</summary>
    private static List<Activity> ThreeMonths() =>
    [
        Act("e1", "L1", Jan.AddDays(2)),
        Act("e2", "L1", Jan.AddMonths(1).AddMilliseconds(-1)),
        Act("e3", "L2", Jan.AddMonths(1)),
        Act("e4", "L2", Jan.AddMonths(1).AddDays(10), ActivityTypes.EmailClick),
        Act("e5", "L3", Jan.AddMonths(2).AddDays(27), value: 3.5),
        Act("e6", "L1", Jan.AddMonths(2).AddHours(5)),
    ];

    private static async Task<(ILeadStore Store, NpgsqlConnection Db)> OpenAsync(TimeProvider? time = null)
    {
        var (store, _, cs) = await TestStores.OpenAsync(TestStores.Postgres, time);
        var db = new NpgsqlConnection(cs);
        await db.OpenAsync();
        return (store, db);
    }

    private static async Task<Dictionary<string, long>> RowsByPartitionAsync(NpgsqlConnection db) =>
        (await db.QueryAsync<(string Name, long Rows)>("""
            SELECT k.relname, (xpath('/row/c/text()', query_to_xml(format('SELECT COUNT(*) AS c FROM %I', k.relname), false, true, '')))[1]::text::BIGINT
            FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid WHERE i.inhparent = 'activities'::regclass
            """)).ToDictionary(r => r.Name, r => r.Rows);

    [Fact]
    public async Task Imports_land_in_their_months_and_a_rerun_changes_nothing()
    {
        var (store, db) = await OpenAsync();
        await using var _s = store;
        await using var _d = db;
        store.PartitionsActivities.ShouldBeTrue();

        // When: three months imported in one batch, then the same batch again
        var first = await store.InsertActivitiesAsync(ThreeMonths());
        var again = await store.InsertActivitiesAsync(ThreeMonths());

        // Then: one partition per month, each row in its month (the month's bounds are [first ms, first ms of the next))
        first.ShouldBe(new InsertCounts(6, 0));
        again.ShouldBe(new InsertCounts(0, 6));
        (await RowsByPartitionAsync(db)).ShouldBe(new Dictionary<string, long>
        {
            ["activities_default"] = 0, ["activities_p202601"] = 2, ["activities_p202602"] = 2, ["activities_p202603"] = 2,
        }, ignoreOrder: true);
        (await store.ListActivityPartitionsAsync()).Select(p => (p.Name, p.Month, p.Rows)).ShouldBe(
        [
            ("activities_p202601", Jan, 2L), ("activities_p202602", Jan.AddMonths(1), 2L), ("activities_p202603", Jan.AddMonths(2), 2L),
            ("activities_default", (DateTimeOffset?)null, 0L),
        ]);
        (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM activity_ids")).ShouldBe(6);
        (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM activity_history")).ShouldBe(0);
        (await store.GetActivitiesAsync("L1")).Select(a => a.EventId).ShouldBe(["e1", "e2", "e6"]);
        (await store.GetActivitiesAsync("L1", Jan.AddMonths(1))).Select(a => a.EventId).ShouldBe(["e1", "e2"]);
        (await store.GetActivitiesAsync("L3")).ShouldBe([ThreeMonths()[4]], ActivityComparer.Instance);
        (await store.CountActivitiesAsync()).ShouldBe(6);
    }

    [Fact]
    public async Task A_correction_that_moves_an_event_to_another_month_and_lead_keeps_one_row_and_the_old_version()
    {
        var (store, db) = await OpenAsync();
        await using var _s = store;
        await using var _d = db;
        await store.InsertActivitiesAsync(ThreeMonths());

        // When: e2 (L1, January) is re-sent as L2's, in April; e3 changes only its type; e1 is re-sent unchanged
        var counts = await store.InsertActivitiesAsync(
        [
            Act("e2", "L2", Jan.AddMonths(3).AddDays(1)),
            Act("e3", "L2", Jan.AddMonths(1), ActivityTypes.FormSubmit),
            Act("e1", "L1", Jan.AddDays(2)),
            Act("e7", "L3", Jan.AddDays(20)),
        ]);

        // Then: one new, two corrected, one unchanged; every event has exactly one row, where the registry says it is
        counts.ShouldBe(new InsertCounts(1, 1) { Updated = 2 });
        (await db.QueryAsync<(string, long)>("SELECT event_id, COUNT(*) FROM activities GROUP BY event_id HAVING COUNT(*) > 1")).ShouldBeEmpty();
        (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM activities")).ShouldBe(7);
        (await db.ExecuteScalarAsync<long>("""
            SELECT COUNT(*) FROM activity_ids i LEFT JOIN activities a ON a.lead_id = i.lead_id AND a.ts = i.ts AND a.event_id = i.event_id WHERE a.event_id IS NULL
            """)).ShouldBe(0, "every registry row points at its event's row");
        (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM activity_ids")).ShouldBe(7);
        (await db.QueryAsync<(string, string, string)>("SELECT event_id, lead_id, type FROM activity_history ORDER BY event_id"))
            .ShouldBe([("e2", "L1", ActivityTypes.PageView), ("e3", "L2", ActivityTypes.PageView)]);
        (await store.GetActivitiesAsync("L1")).Select(a => a.EventId).ShouldBe(["e1", "e6"]);
        (await store.GetActivitiesAsync("L2")).Select(a => (a.EventId, a.Type)).ShouldBe(
            [("e3", ActivityTypes.FormSubmit), ("e4", ActivityTypes.EmailClick), ("e2", ActivityTypes.PageView)]);
        (await RowsByPartitionAsync(db))["activities_p202604"].ShouldBe(1);
        (await RowsByPartitionAsync(db))["activities_p202601"].ShouldBe(2, "e1 and the new e7; e2 left January");

        // And the same correction again changes nothing
        (await store.InsertActivitiesAsync([Act("e2", "L2", Jan.AddMonths(3).AddDays(1))])).ShouldBe(new InsertCounts(0, 1));
    }

    [Fact]
    public async Task Upkeep_creates_the_coming_months_and_moves_rows_out_of_the_default_partition()
    {
        var (store, db) = await OpenAsync();
        await using var _s = store;
        await using var _d = db;
        await store.InsertActivitiesAsync(ThreeMonths());
        // Given: rows of two months without a partition, written the way an import does when its partition could not be
        // created in time (they land in DEFAULT), with their registry rows
        var old = new DateTimeOffset(2024, 7, 9, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var late = new DateTimeOffset(2024, 9, 30, 23, 59, 59, 999, TimeSpan.Zero).ToUnixTimeMilliseconds();
        await db.ExecuteAsync("""
            INSERT INTO activities (event_id, lead_id, type, ts) VALUES ('d1', 'L9', 'page_view', @old), ('d2', 'L9', 'call', @late), ('d3', 'L1', 'call', @late);
            INSERT INTO activity_ids (event_id, lead_id, ts) VALUES ('d1', 'L9', @old), ('d2', 'L9', @late), ('d3', 'L1', @late);
            """, new { old, late });
        (await RowsByPartitionAsync(db))["activities_default"].ShouldBe(3);

        // When: the upkeep as of mid-March 2026, three months ahead
        var done = await store.MaintainActivityPartitionsAsync(Jan.AddMonths(2).AddDays(14), Jan.AddMonths(5));

        // Then: the two old months and April-June are created, DEFAULT is empty, and the rows read as before
        done.Created.ShouldBe(["activities_p202407", "activities_p202409", "activities_p202604", "activities_p202605", "activities_p202606"], ignoreOrder: true);
        done.MovedFromDefault.ShouldBe(3);
        var rows = await RowsByPartitionAsync(db);
        rows["activities_default"].ShouldBe(0);
        rows["activities_p202407"].ShouldBe(1);
        rows["activities_p202409"].ShouldBe(2);
        rows["activities_p202606"].ShouldBe(0);
        (await store.GetActivitiesAsync("L9")).Select(a => a.EventId).ShouldBe(["d1", "d2"]);
        (await store.GetActivitiesAsync("L1")).Select(a => a.EventId).ShouldBe(["d3", "e1", "e2", "e6"]);
        // The moved rows are in a real partition now: re-importing one is unchanged, and a new month of June lands in its partition
        (await store.InsertActivitiesAsync([new Activity { EventId = "d2", LeadId = "L9", Type = "call", Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(late) }]))
            .ShouldBe(new InsertCounts(0, 1));

        // And a second run has nothing to do
        var second = await store.MaintainActivityPartitionsAsync(Jan.AddMonths(2).AddDays(14), Jan.AddMonths(5));
        second.Created.ShouldBeEmpty();
        second.MovedFromDefault.ShouldBe(0);
    }

    [Fact]
    public async Task Retention_drops_whole_old_months_deletes_the_rest_by_row_and_a_reimport_brings_back_only_what_was_sent()
    {
        var (store, db) = await OpenAsync();
        await using var _s = store;
        await using var _d = db;
        await store.InsertActivitiesAsync(ThreeMonths());
        // A corrected version of e4 (February) in history, and a row in DEFAULT from before the cut
        await store.InsertActivitiesAsync([Act("e4", "L2", Jan.AddMonths(1).AddDays(10), ActivityTypes.Call)]);

        // When: a dry run, then retention with the cut on 2026-02-05 (January whole, part of February)
        var cut = Jan.AddMonths(1).AddDays(4);
        var wouldDelete = await store.DeleteActivitiesOlderThanAsync(cut, dryRun: true);
        (await RowsByPartitionAsync(db)).Keys.ShouldContain("activities_p202601", "a dry run drops nothing");
        var deleted = await store.DeleteActivitiesOlderThanAsync(cut);

        // Then: January's partition is gone, e3 (Feb 1) is deleted by row, e4 and its history (Feb 11) are kept
        wouldDelete.ShouldBe(3);
        deleted.ShouldBe(3);
        var rows = await RowsByPartitionAsync(db);
        rows.Keys.ShouldNotContain("activities_p202601");
        rows["activities_p202602"].ShouldBe(1);
        rows["activities_p202603"].ShouldBe(2);
        (await db.QueryAsync<string>("SELECT event_id FROM activity_ids ORDER BY event_id")).ShouldBe(["e4", "e5", "e6"]);
        (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM activity_history")).ShouldBe(1);
        (await store.GetActivitiesAsync("L1")).Select(a => a.EventId).ShouldBe(["e6"]);
        var kept = new List<string>();
        await foreach (var a in store.StreamActivitiesAsync()) kept.Add(a.EventId);
        kept.ShouldBe(["e6", "e4", "e5"]);

        // And: re-sending the whole batch re-inserts the deleted events (into a new January partition) and leaves the kept ones
        (await store.InsertActivitiesAsync(ThreeMonths())).ShouldBe(new InsertCounts(3, 2) { Updated = 1 });
        (await RowsByPartitionAsync(db))["activities_p202601"].ShouldBe(2);
    }

    [Fact]
    public async Task A_database_created_at_migration_014_with_activities_migrates_in_place()
    {
        // Given: a database migrated to 014 only (the product's own SQL files), holding activities of two months and
        // a corrected version in history
        var cs = await TestStores.CreatePostgresDatabaseAsync();
        await using (var c = new NpgsqlConnection(cs))
        {
            await c.OpenAsync();
            await c.ExecuteAsync("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
            foreach (var (version, name, sql) in EmbeddedMigrations("Postgres").Where(m => m.Version <= 14))
            {
                await c.ExecuteAsync(sql);
                await c.ExecuteAsync("INSERT INTO schema_migrations VALUES (@version, @name, '2026-11-30T00:00:00Z')", new { version = (long)version, name });
            }
            foreach (var a in ThreeMonths())
                await c.ExecuteAsync("INSERT INTO activities (event_id, lead_id, type, ts, url, value, properties) VALUES (@EventId, @LeadId, @Type, @ts, @Url, @Value, @props)",
                    new { a.EventId, a.LeadId, a.Type, ts = a.Timestamp.ToUnixTimeMilliseconds(), a.Url, a.Value, props = $"{{\"campaign\":\"c-{a.EventId}\"}}" });
            await c.ExecuteAsync("INSERT INTO activity_history (event_id, lead_id, type, ts, replaced_at) VALUES ('e1', 'L1', 'call', 1, 2)");
            (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_inherits")).ShouldBe(0);
        }

        // When: the store opens it (migrations 015 and later run)
        await using var store = await LeadStore.OpenAsync(TestPaths.NewTempDir("ws"), cs);
        await using var db = new NpgsqlConnection(cs);
        await db.OpenAsync();

        // Then: the rows are in their months, the registry holds each event once, history is untouched
        (await RowsByPartitionAsync(db)).ShouldBe(new Dictionary<string, long>
        {
            ["activities_default"] = 0, ["activities_p202601"] = 2, ["activities_p202602"] = 2, ["activities_p202603"] = 2,
        }, ignoreOrder: true);
        (await db.QueryAsync<string>("SELECT event_id FROM activity_ids ORDER BY event_id")).ShouldBe(["e1", "e2", "e3", "e4", "e5", "e6"]);
        (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM activity_history")).ShouldBe(1);
        (await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_class WHERE relname = 'activities_014'")).ShouldBe(0);
        (await store.GetActivitiesAsync("L1")).ShouldBe(ThreeMonths().Where(a => a.LeadId == "L1").ToList(), ActivityComparer.Instance);
        // A re-import of the same events changes nothing; a correction goes through the registry
        (await store.InsertActivitiesAsync(ThreeMonths())).ShouldBe(new InsertCounts(0, 6));
        (await store.InsertActivitiesAsync([Act("e5", "L3", Jan.AddMonths(4))])).ShouldBe(new InsertCounts(0, 0) { Updated = 1 });
        (await store.GetActivitiesAsync("L3")).ShouldHaveSingleItem().Timestamp.ShouldBe(Jan.AddMonths(4));
    }

    internal static IEnumerable<(int Version, string Name, string Sql)> EmbeddedMigrations(string backend)
    {
        var asm = typeof(LeadStore).Assembly;
        var prefix = $"{asm.GetName().Name}.Migrations.{backend}.";
        foreach (var n in asm.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var name = n[prefix.Length..^4];
            using var s = asm.GetManifestResourceStream(n)!;
            using var r = new StreamReader(s);
            yield return (int.Parse(name.Split('_')[0].TrimStart('_'), System.Globalization.CultureInfo.InvariantCulture), name, r.ReadToEnd());
        }
    }

    private sealed class ActivityComparer : IEqualityComparer<Activity>
    {
        public static readonly ActivityComparer Instance = new();
        public bool Equals(Activity? x, Activity? y) => x is not null && y is not null && x.EventId == y.EventId && x.LeadId == y.LeadId && x.Type == y.Type &&
            x.Timestamp == y.Timestamp && x.Url == y.Url && x.Value == y.Value && x.Properties.Count == y.Properties.Count &&
            x.Properties.All(p => y.Properties.TryGetValue(p.Key, out var v) && v == p.Value);
        public int GetHashCode(Activity obj) => obj.EventId.GetHashCode(StringComparison.Ordinal);
    }
}
