using System.Text;
using Dapper;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>Issue 18's storage items, the injected clock and migration 003, on both backends.</summary>
public sealed class HardeningStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Backends => TestStores.Backends;

    private static QuarantineRecord Q(string raw, int line = 2) =>
        new() { ImportId = "imp1", Kind = "leads", File = "x.csv", Line = line, Reason = "bad", Raw = raw };

    [Theory, MemberData(nameof(Backends))]
    public async Task Quarantine_raw_text_is_capped_and_marked_as_truncated(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var huge = new string('x', 10 * QuarantineLimits.MaxRawChars);
        var exact = new string('y', QuarantineLimits.MaxRawChars);
        // A surrogate pair straddling the cut must not leave half a character behind.
        var emoji = new string('z', QuarantineLimits.MaxRawChars - QuarantineLimits.TruncatedMarker.Length - 1) + "😀" + new string('z', 100);

        await store.AddQuarantineAsync([Q(huge), Q(exact, 3), Q("short,row", 4), Q(emoji, 5)]);

        var rows = await store.ListQuarantineAsync("imp1");
        rows[0].Raw.Length.ShouldBe(QuarantineLimits.MaxRawChars);
        rows[0].Raw.ShouldEndWith(QuarantineLimits.TruncatedMarker);
        rows[0].Raw.ShouldStartWith("xxxx");
        rows[1].Raw.ShouldBe(exact, "a row of exactly the limit is kept whole");
        rows[2].Raw.ShouldBe("short,row");
        rows[3].Raw.ShouldEndWith("z" + QuarantineLimits.TruncatedMarker);
        rows[3].Raw.Length.ShouldBe(QuarantineLimits.MaxRawChars - 1);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Quarantine_streams_in_order_and_purges_by_age(string backend)
    {
        var time = new ManualTime(T0);
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        await store.AddQuarantineAsync([Q("a", 2), Q("b", 3) with { LeadId = "L1" }]);
        time.Advance(TimeSpan.FromDays(2));
        await store.AddQuarantineAsync([Q("c", 4) with { ImportId = "imp2" }]);
        await store.MarkQuarantineResolvedAsync([(await store.ListQuarantineAsync("imp1"))[0].Id]);

        var streamed = new List<QuarantineRecord>();
        await foreach (var q in store.StreamQuarantineAsync(includeResolved: true)) streamed.Add(q);
        var open = new List<string>();
        await foreach (var q in store.StreamQuarantineAsync()) open.Add(q.Raw);
        var imp2 = new List<string>();
        await foreach (var q in store.StreamQuarantineAsync("imp2")) imp2.Add(q.Raw);

        streamed.Select(q => q.Raw).ShouldBe(["a", "b", "c"]);
        streamed[1].LeadId.ShouldBe("L1");
        streamed[0].CreatedAt.ShouldBe(T0);
        open.ShouldBe(["b", "c"]);
        imp2.ShouldBe(["c"]);
        (await store.PurgeQuarantineAsync(T0.AddDays(1))).ShouldBe(2, "resolved or not, rows stored before the date go");
        (await store.ListQuarantineAsync(includeResolved: true)).Select(q => q.Raw).ShouldBe(["c"]);
        (await store.PurgeQuarantineAsync(null)).ShouldBe(1);
        (await store.ListQuarantineAsync(includeResolved: true)).ShouldBeEmpty();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_corrected_activity_replaces_the_stored_one_and_keeps_the_previous_version(string backend)
    {
        var time = new ManualTime(T0.AddDays(10));
        var (store, ws, cs) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var original = new Activity { EventId = "e1", LeadId = "L1", Type = "page_view", Timestamp = T0, Url = "/pricing", Value = 1 };
        var other = new Activity { EventId = "e2", LeadId = "L1", Type = "email_open", Timestamp = T0.AddHours(1) };
        await store.InsertActivitiesAsync([original, other]);

        var resent = await store.InsertActivitiesAsync([original, other]);
        var corrected = await store.InsertActivitiesAsync(
        [
            original with { Type = "demo_request", Value = 2, Properties = new Dictionary<string, string?> { ["source"] = "crm" } },
            other,
            new Activity { EventId = "e3", LeadId = "L1", Type = "call", Timestamp = T0.AddHours(2) },
        ]);
        var timeOnly = await store.InsertActivitiesAsync([other with { Timestamp = T0.AddHours(3) }, other with { Timestamp = T0.AddHours(4) }]);

        resent.ShouldBe(new InsertCounts(0, 2));
        corrected.ShouldBe(new InsertCounts(1, 1) { Updated = 1 });
        timeOnly.ShouldBe(new InsertCounts(0, 1) { Updated = 1 }, "within a batch the last one wins; the first counts as unchanged");
        var stored = await store.GetActivitiesAsync("L1");
        stored.Select(a => (a.EventId, a.Type)).ShouldBe([("e1", "demo_request"), ("e3", "call"), ("e2", "email_open")]);
        stored[0].Value.ShouldBe(2);
        stored[0].Properties["source"].ShouldBe("crm");
        stored[2].Timestamp.ShouldBe(T0.AddHours(4));
        await using var db = await RawDatabase.OpenAsync(backend, ws, cs);
        var history = (await db.QueryAsync<(string EventId, string Type, double? Value, long ReplacedAt)>(
            "SELECT event_id, type, value, replaced_at FROM activity_history ORDER BY id")).ToList();
        history.ShouldBe([("e1", "page_view", 1.0, time.GetUtcNow().ToUnixTimeMilliseconds()), ("e2", "email_open", null, time.GetUtcNow().ToUnixTimeMilliseconds())]);
        (await store.CountActivitiesAsync()).ShouldBe(3);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task An_import_record_is_updated_per_batch_and_carries_its_status(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var import = new ImportRecord { Id = "imp1", Kind = "leads", File = "x.csv", FileHash = "h", StartedAt = T0, Status = ImportStatus.Running };

        await store.RecordImportAsync(import);
        await store.RecordImportAsync(import with { RowsRead = 1000, Inserted = 990, Rejected = 10 });
        var midway = (await store.ListImportsAsync()).Single();
        await store.RecordImportAsync(import with { RowsRead = 1500, Inserted = 1480, Rejected = 20, Status = ImportStatus.Interrupted });
        await store.RecordImportAsync(new ImportRecord { Id = "imp2", Kind = "activities", File = "a.csv", FileHash = "h2", StartedAt = T0.AddMinutes(1), RowsRead = 5, Inserted = 5 });

        midway.Status.ShouldBe(ImportStatus.Running);
        midway.RowsRead.ShouldBe(1000);
        var all = await store.ListImportsAsync();
        all[0].ShouldBe(import with { RowsRead = 1500, Inserted = 1480, Rejected = 20, Status = ImportStatus.Interrupted });
        all[1].Status.ShouldBe(ImportStatus.Completed, "a record written once, at the end, is a completed import");

        // The queries the loop and a re-run ask: a Running import since a time, and the imports of one file.
        (await store.ImportRunningSinceAsync(T0.AddMinutes(-1))).ShouldBeFalse("imp1 was interrupted, imp2 completed");
        await store.RecordImportAsync(new ImportRecord { Id = "imp3", Kind = "leads", File = "x.csv", FileHash = "h", StartedAt = T0.AddMinutes(2), Status = ImportStatus.Running });
        (await store.ImportRunningSinceAsync(T0.AddMinutes(2))).ShouldBeTrue();
        (await store.ImportRunningSinceAsync(T0.AddMinutes(3))).ShouldBeFalse("it started before");
        (await store.ListImportsOfFileAsync("leads", "h")).Select(i => i.Id).ShouldBe(["imp1", "imp3"]);
        (await store.ListImportsOfFileAsync("activities", "h")).ShouldBeEmpty();
        (await store.ListImportsOfFileAsync("activities", "h2")).Single().ShouldBe(all[1]);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_deleted_webhook_keeps_no_secret(string backend)
    {
        var (store, ws, cs) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.SaveWebhookAsync(new Webhook { Id = "wh1", Url = "http://x", Rule = WebhookRule.BecameA, Secret = "topsecret", CreatedAt = T0 });
        await store.SaveWebhookAsync(new Webhook { Id = "wh2", Url = "http://y", Rule = WebhookRule.BecameA, Secret = "other", CreatedAt = T0 });

        (await store.DeleteWebhookAsync("wh1")).ShouldBeTrue();

        await using var db = await RawDatabase.OpenAsync(backend, ws, cs);
        (await db.QueryAsync<(string Id, string Secret)>("SELECT id, secret FROM webhooks ORDER BY id")).ShouldBe([("wh1", ""), ("wh2", "other")]);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Store_stamps_its_own_times_with_the_injected_clock(string backend)
    {
        var time = new ManualTime(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));
        var (store, _, _) = await TestStores.OpenAsync(backend, time);
        await using var _s = store;
        var lead = new Lead { Id = "L1", CreatedAt = T0, Attributes = new Dictionary<string, string?> { [LeadFields.Company] = "Acme" } };
        await store.UpsertLeadsAsync([lead]);
        var inserted = time.GetUtcNow();
        time.Advance(TimeSpan.FromDays(3));

        await store.UpsertLeadsAsync([lead with { Attributes = new Dictionary<string, string?> { [LeadFields.Company] = "Globex" } }]);
        await store.SaveApiKeyAsync(new ApiKey { Id = "k1", Name = "crm", Prefix = "ls_a", Hash = "h1", Scopes = ["score"], CreatedAt = T0 });
        await store.RevokeApiKeyAsync("crm");

        (await store.GetLeadHistoryAsync("L1")).Single().ReplacedAt.ShouldBe(time.GetUtcNow());
        (await store.GetLeadAsync("L1"))!.UpdatedAt.ShouldBe(time.GetUtcNow());
        (await store.FindApiKeyByHashAsync("h1"))!.RevokedAt.ShouldBe(time.GetUtcNow());
        inserted.ShouldNotBe(time.GetUtcNow());
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Migration_003_moves_the_lead_schema_snapshot_into_settings(string backend)
    {
        // Given: a database at migration 002 holding the lead schema in feature_snapshots, as earlier versions wrote it
        var ws = TestPaths.NewTempDir("leadscore-ws");
        string? cs = backend == TestStores.Postgres ? await TestStores.CreatePostgresDatabaseAsync() : null;
        const string schema = "[{\"name\":\"company\",\"kind\":\"Categorical\",\"note\":\"Zürich\"}]";
        await using (var db = await RawDatabase.OpenAsync(backend, ws, cs))
        {
            var folder = backend == TestStores.Postgres ? "Postgres" : "Sqlite";
            await db.ExecuteAsync("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
            foreach (var name in new[] { "001_initial", "002_webhooks" })
            {
                await db.ExecuteAsync(await File.ReadAllTextAsync(Path.Combine(TestPaths.RepoRoot, "src", "LeadScore.Storage", "Migrations", folder, name + ".sql")));
                await db.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @name, 'then')", new { v = long.Parse(name[..3]), name });
            }
            await db.ExecuteAsync("INSERT INTO feature_snapshots (name, created_at, as_of_rule, rows, data) VALUES (@n, @at, '', 1, @data), ('training', 0, 'r', 1, @other)",
                new { n = SettingNames.LeadSchema, at = T0.ToUnixTimeMilliseconds(), data = Encoding.UTF8.GetBytes(schema), other = new byte[] { 1, 2 } });
            await db.ExecuteAsync("INSERT INTO webhooks (id, url, rule, threshold, secret, created_at, deleted_at) VALUES ('old', 'http://x', 'BecameA', NULL, 'leaked', 0, 1)");
        }

        // When
        await using var store = await LeadStore.OpenAsync(ws, cs);

        // Then
        (await store.GetSettingAsync(SettingNames.LeadSchema)).ShouldBe(new StoredSetting(SettingNames.LeadSchema, schema, 1, T0));
        (await store.GetFeatureSnapshotAsync(SettingNames.LeadSchema)).ShouldBeNull();
        (await store.GetFeatureSnapshotAsync("training")).ShouldNotBeNull();
        await using var check = await RawDatabase.OpenAsync(backend, ws, cs);
        (await check.ExecuteScalarAsync<string>("SELECT secret FROM webhooks WHERE id = 'old'")).ShouldBe("");
    }
}
