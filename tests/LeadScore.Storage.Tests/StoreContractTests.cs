using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>The storage contract, run against SQLite and a real PostgreSQL server.</summary>
public sealed class StoreContractTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Lead NewLead(string id, string company = "Acme", int days = 0) => new()
    {
        Id = id,
        CreatedAt = T0.AddDays(days),
        Attributes = new Dictionary<string, string?> { [LeadFields.Company] = company, [LeadFields.JobTitle] = "VP Sales", ["custom_x"] = null },
    };

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Migrations_apply_once_and_the_store_answers(string backend)
    {
        var (store, ws, cs) = await TestStores.OpenAsync(backend);
        await using (store)
        {
            (await store.PingAsync()).ShouldBeTrue();
            store.Backend.ShouldBe(backend);
            // Opening again re-runs the migrator: nothing to apply, no error.
            await using var again = await LeadStore.OpenAsync(ws, cs);
            (await again.CountLeadsAsync()).ShouldBe(0);
        }
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Lead_upsert_counts_inserted_updated_unchanged_and_keeps_history(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;

        (await store.UpsertLeadsAsync([NewLead("a"), NewLead("b")])).ShouldBe(new UpsertCounts(2, 0, 0));
        (await store.UpsertLeadsAsync([NewLead("a"), NewLead("b")])).ShouldBe(new UpsertCounts(0, 0, 2));
        (await store.UpsertLeadsAsync([NewLead("a", "Globex"), NewLead("c")])).ShouldBe(new UpsertCounts(1, 1, 0));

        var a = (await store.GetLeadAsync("a"))!;
        a.Get(LeadFields.Company).ShouldBe("Globex");
        a.CreatedAt.ShouldBe(T0);
        a.Attributes.ContainsKey("custom_x").ShouldBeTrue();
        var history = await store.GetLeadHistoryAsync("a");
        history.Count.ShouldBe(1);
        history[0].Previous.Get(LeadFields.Company).ShouldBe("Acme");
        (await store.CountLeadsAsync()).ShouldBe(3);
        var ids = new List<string>();
        await foreach (var l in store.StreamLeadsAsync()) ids.Add(l.Id);
        ids.ShouldBe(["a", "b", "c"]);
        (await store.GetLeadAsync("zzz")).ShouldBeNull();
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_large_activity_batch_counts_new_unchanged_and_corrected_rows_exactly(string backend)
    {
        // 10,000 rows: PostgreSQL writes a batch this large as two slices on two connections; the counts and the stored
        // rows must be the same as one write, with duplicates and corrections falling in both halves.
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        Activity Act(int i, int minutes, string type = ActivityTypes.PageView) => new()
        {
            EventId = $"e{i}", LeadId = $"l{i % 97}", Type = type, Timestamp = T0.AddMinutes(minutes), Url = "/p", Value = i,
        };
        var batch = Enumerable.Range(0, 10_000).Select(i => Act(i, i)).ToList();
        batch.Add(Act(17, 17)); batch.Add(Act(9_001, 9_001)); // repeated within the batch: counted as unchanged
        (await store.InsertActivitiesAsync(batch)).ShouldBe(new InsertCounts(10_000, 2));
        (await store.InsertActivitiesAsync(batch)).ShouldBe(new InsertCounts(0, 10_002));

        // Corrections in both halves: another type for every 1,000th event, another time (and so partition key) for 3.
        var corrected = Enumerable.Range(0, 10_000).Select(i =>
            i % 1_000 == 0 ? Act(i, i, ActivityTypes.EmailOpen) : i is 5 or 6_001 or 9_999 ? Act(i, i + 40_000) : Act(i, i)).ToList();
        (await store.InsertActivitiesAsync(corrected)).ShouldBe(new InsertCounts(0, 9_987) { Updated = 13 });
        (await store.CountActivitiesAsync()).ShouldBe(10_000);
        (await store.GetActivitiesAsync("l0")).Single(a => a.EventId == "e0").Type.ShouldBe(ActivityTypes.EmailOpen);
        (await store.GetActivitiesAsync($"l{6_001 % 97}")).Single(a => a.EventId == "e6001").Timestamp.ShouldBe(T0.AddMinutes(46_001));
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Activities_are_deduplicated_by_event_id_and_read_in_time_order(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        Activity Act(string id, string lead, int hours, string type = ActivityTypes.PageView) => new()
        {
            EventId = id, LeadId = lead, Type = type, Timestamp = T0.AddHours(hours), Url = "/pricing", Value = hours,
            Properties = hours % 2 == 0 ? new Dictionary<string, string?> { ["session_id"] = "s1" } : new Dictionary<string, string?>(),
        };
        var batch = new[] { Act("e3", "l1", 3), Act("e1", "l1", 1), Act("e2", "l2", 2), Act("e1", "l1", 1) };
        (await store.InsertActivitiesAsync(batch)).ShouldBe(new InsertCounts(3, 1));
        (await store.InsertActivitiesAsync(batch)).ShouldBe(new InsertCounts(0, 4));

        var l1 = await store.GetActivitiesAsync("l1");
        l1.Select(a => a.EventId).ShouldBe(["e1", "e3"]);
        l1[0].Url.ShouldBe("/pricing");
        l1[0].Value.ShouldBe(1);
        (await store.GetActivitiesAsync("l1", before: T0.AddHours(3))).Select(a => a.EventId).ShouldBe(["e1"]);
        var all = new List<string>();
        await foreach (var a in store.StreamActivitiesAsync()) all.Add($"{a.LeadId}:{a.EventId}");
        all.ShouldBe(["l1:e1", "l1:e3", "l2:e2"]);
        (await store.GetActivitiesAsync("l2"))[0].Properties["session_id"].ShouldBe("s1");
        (await store.CountActivitiesAsync()).ShouldBe(3);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Enrichment_and_outcomes_keep_their_timelines(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var e1 = new Enrichment { Domain = "acme.com", AsOf = T0, Attributes = new Dictionary<string, string?> { [EnrichmentFields.Employees] = "50" } };
        var e2 = e1 with { AsOf = T0.AddDays(30), Attributes = new Dictionary<string, string?> { [EnrichmentFields.Employees] = "80" } };
        (await store.UpsertEnrichmentAsync([e2, e1])).ShouldBe(new UpsertCounts(2, 0, 0));
        (await store.UpsertEnrichmentAsync([e1 with { Attributes = new Dictionary<string, string?> { [EnrichmentFields.Employees] = "55" } }, e2])).ShouldBe(new UpsertCounts(0, 1, 1));
        var timeline = await store.GetEnrichmentAsync("acme.com");
        timeline.Select(e => e.Attributes[EnrichmentFields.Employees]).ShouldBe(["55", "80"]);

        var won = new Outcome { LeadId = "l1", Kind = OutcomeKind.Converted, At = T0.AddDays(40) };
        var reopened = new Outcome { LeadId = "l1", Kind = OutcomeKind.Reopened, At = T0.AddDays(50) };
        (await store.InsertOutcomesAsync([won, reopened, won])).ShouldBe(new InsertCounts(2, 1));
        (await store.GetOutcomesAsync("l1")).Select(o => o.Kind).ShouldBe([OutcomeKind.Converted, OutcomeKind.Reopened]);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Large_enrichment_and_outcome_batches_count_each_row_as_if_written_in_turn(string backend)
    {
        // Batches large enough for PostgreSQL's bulk paths (COPY), with keys repeated inside the batch.
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        Enrichment E(int i, string employees, int day = 0) => new()
        {
            Domain = $"d{i}.com", AsOf = T0.AddDays(day), Attributes = new Dictionary<string, string?> { [EnrichmentFields.Employees] = employees },
        };
        var rows = Enumerable.Range(0, 300).Select(i => E(i, "10")).ToList();
        rows.Add(E(7, "10"));            // the same again: unchanged
        rows.Add(E(8, "12"));            // the same key with other attributes: an update of the row just inserted
        rows.Add(E(8, "10"));            // and back: another update
        (await store.UpsertEnrichmentAsync(rows)).ShouldBe(new UpsertCounts(300, 2, 1));
        (await store.GetEnrichmentAsync("d8.com")).Single().Attributes[EnrichmentFields.Employees].ShouldBe("10");
        var again = rows.Take(300).Select((e, i) => i % 100 == 0 ? E(i, "99") : e).Append(E(5, "10", day: 30)).ToList();
        (await store.UpsertEnrichmentAsync(again)).ShouldBe(new UpsertCounts(1, 3, 297));
        (await store.GetEnrichmentAsync("d100.com")).Single().Attributes[EnrichmentFields.Employees].ShouldBe("99");
        (await store.GetEnrichmentAsync("d5.com")).Count.ShouldBe(2);

        var outcomes = Enumerable.Range(0, 200).Select(i => new Outcome { LeadId = $"l{i}", Kind = OutcomeKind.Converted, At = T0.AddDays(i % 40) }).ToList();
        outcomes.Add(outcomes[3]);
        outcomes.Add(outcomes[150]);
        (await store.InsertOutcomesAsync(outcomes)).ShouldBe(new InsertCounts(200, 2));
        (await store.InsertOutcomesAsync(outcomes)).ShouldBe(new InsertCounts(0, 202));
        var lost = outcomes.Take(100).Select(o => o with { Kind = OutcomeKind.Lost, At = o.At.AddDays(1) }).ToList();
        (await store.InsertOutcomesAsync([.. lost, .. outcomes])).ShouldBe(new InsertCounts(100, 202));
        (await store.GetOutcomesAsync("l3")).Select(o => o.Kind).ShouldBe([OutcomeKind.Converted, OutcomeKind.Lost]);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Quarantine_and_imports_are_recorded(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.RecordImportAsync(new ImportRecord { Id = "imp1", Kind = "leads", File = "x.csv", FileHash = "h", StartedAt = T0, RowsRead = 3, Inserted = 2, Rejected = 1 });
        await store.AddQuarantineAsync([new QuarantineRecord { ImportId = "imp1", Kind = "leads", File = "x.csv", Line = 3, Column = "created_at", Reason = "unparseable date", Raw = "a,b,c" }]);
        var q = await store.ListQuarantineAsync("imp1");
        q.Count.ShouldBe(1);
        q[0].Column.ShouldBe("created_at");
        await store.MarkQuarantineResolvedAsync([q[0].Id]);
        (await store.ListQuarantineAsync("imp1")).ShouldBeEmpty();
        (await store.ListQuarantineAsync(null, includeResolved: true)).Count.ShouldBe(1);
        (await store.ListImportsAsync()).Single().Rejected.ShouldBe(1);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Model_registry_keeps_immutable_versions_and_alias_history(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var n1 = await store.NextModelNumberAsync();
        var n2 = await store.NextModelNumberAsync();
        n2.ShouldBe(n1 + 1);
        var m1 = new ModelVersion { Version = "v1", CreatedAt = T0, Algorithm = "LightGbm", CardJson = "{\"a\":1}", Auc = 0.8 };
        await store.SaveModelAsync(m1, [1, 2, 3]);
        await store.SaveModelAsync(m1 with { Version = "v2", CreatedAt = T0.AddDays(1) }, [4]);
        await Should.ThrowAsync<LeadScoreException>(() => store.SaveModelAsync(m1, [9]));
        (await store.GetModelArtifactAsync("v1")).ShouldBe(new byte[] { 1, 2, 3 });

        await store.SetAliasAsync(ModelAliases.Champion, "v1");
        await store.SetAliasAsync(ModelAliases.Champion, "v2");
        (await store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v2");
        (await store.GetAliasHistoryAsync(ModelAliases.Champion)).Select(h => h.Version).ShouldBe(["v2", "v1"]);
        (await store.ListModelsAsync()).Select(m => (m.Version, string.Join(',', m.Aliases))).ShouldBe([("v2", "champion"), ("v1", "")]);
        await Should.ThrowAsync<NotFoundException>(() => store.SetAliasAsync(ModelAliases.Champion, "nope"));
        (await store.GetModelAsync("v1"))!.Auc.ShouldBe(0.8);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Scores_keep_latest_and_history_and_rank_by_probability(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        StoredScore S(string lead, double p, string grade, int minutes, ScoreCause cause = ScoreCause.NewData) => new()
        {
            LeadId = lead, Probability = p, Score = (int)(p * 100), Grade = grade, ModelVersion = "v1", ScoredAt = T0.AddMinutes(minutes), Cause = cause,
        };
        await store.SaveScoresAsync([S("a", 0.2, "C", 0), S("b", 0.7, "A", 0)]);
        await store.SaveScoresAsync([S("a", 0.9, "A", 5, ScoreCause.NewModel)]);
        (await store.GetLatestScoreAsync("a"))!.Probability.ShouldBe(0.9);
        (await store.GetScoreHistoryAsync("a")).Select(s => s.Cause).ShouldBe([ScoreCause.NewModel, ScoreCause.NewData]);
        (await store.ListTopScoresAsync("A", 10)).Select(s => s.LeadId).ShouldBe(["a", "b"]);
        (await store.ListTopScoresAsync(null, 1)).Single().LeadId.ShouldBe("a");

        // Open only: a lead whose latest outcome is converted or lost is left out; reopened after it, it is back.
        await store.SaveScoresAsync([S("c", 0.5, "A", 0)]);
        await store.InsertOutcomesAsync([new Outcome { LeadId = "a", Kind = OutcomeKind.Converted, At = T0.AddDays(1) }, new Outcome { LeadId = "b", Kind = OutcomeKind.Lost, At = T0.AddDays(1) }]);
        (await store.ListTopScoresAsync("A", 10, openOnly: true)).Select(s => s.LeadId).ShouldBe(["c"]);
        await store.InsertOutcomesAsync([new Outcome { LeadId = "b", Kind = OutcomeKind.Reopened, At = T0.AddDays(2) }]);
        (await store.ListTopScoresAsync("A", 10, openOnly: true)).Select(s => s.LeadId).ShouldBe(["b", "c"]);
        (await store.ListTopScoresAsync("A", 10)).Select(s => s.LeadId).ShouldBe(["a", "b", "c"]);
        // Reopened at the very time it was closed: open (as the training-set builder sees it)
        await store.InsertOutcomesAsync([new Outcome { LeadId = "c", Kind = OutcomeKind.Lost, At = T0.AddDays(3) }, new Outcome { LeadId = "c", Kind = OutcomeKind.Reopened, At = T0.AddDays(3) }]);
        (await store.ListTopScoresAsync("A", 10, openOnly: true)).Select(s => s.LeadId).ShouldBe(["b", "c"]);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Erasure_removes_everything_about_a_lead(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.UpsertLeadsAsync([NewLead("a"), NewLead("b")]);
        await store.InsertActivitiesAsync([new Activity { EventId = "e", LeadId = "a", Type = "call", Timestamp = T0 }]);
        await store.SaveScoresAsync([new StoredScore { LeadId = "a", Probability = 0.5, Score = 50, Grade = "B", ModelVersion = "v", ScoredAt = T0, Cause = ScoreCause.NewData }]);
        (await store.EraseLeadAsync("a")).ShouldBeTrue();
        (await store.GetLeadAsync("a")).ShouldBeNull();
        (await store.GetActivitiesAsync("a")).ShouldBeEmpty();
        (await store.GetLatestScoreAsync("a")).ShouldBeNull();
        (await store.GetLeadAsync("b")).ShouldNotBeNull();
        (await store.EraseLeadAsync("a")).ShouldBeFalse();
        await store.SetProfilingOptOutAsync("b", true);
        (await store.GetLeadAsync("b"))!.ProfilingOptOut.ShouldBeTrue();
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Api_keys_are_found_by_hash_listed_and_revoked(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var key = new ApiKey { Id = "k1", Name = "crm", Prefix = "ls_abcd", Hash = "h1", Scopes = ["score", "ingest"], CreatedAt = T0 };
        await store.SaveApiKeyAsync(key);
        await Should.ThrowAsync<LeadScoreException>(() => store.SaveApiKeyAsync(key with { Id = "k2", Hash = "h2" }));
        (await store.FindApiKeyByHashAsync("h1"))!.Scopes.ShouldBe(["score", "ingest"]);
        (await store.RevokeApiKeyAsync("crm")).ShouldBeTrue();
        (await store.FindApiKeyByHashAsync("h1"))!.RevokedAt.ShouldNotBeNull();
        (await store.ListApiKeysAsync()).Count.ShouldBe(1);
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Feature_snapshots_round_trip(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.SaveFeatureSnapshotAsync(new FeatureSnapshot { Name = "training", CreatedAt = T0, AsOfRule = "creation + 14 days", Rows = 2, Data = [7, 8] });
        await store.SaveFeatureSnapshotAsync(new FeatureSnapshot { Name = "training", CreatedAt = T0, AsOfRule = "creation + 7 days", Rows = 1, Data = [9] });
        var s = (await store.GetFeatureSnapshotAsync("training"))!;
        s.AsOfRule.ShouldBe("creation + 7 days");
        s.Data.ShouldBe(new byte[] { 9 });
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_feature_snapshot_larger_than_a_part_is_stored_in_parts_and_read_back_whole(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        ((SqlLeadStore)store).SnapshotPartBytes = 3;
        var big = Enumerable.Range(0, 10).Select(i => (byte)(i * 7)).ToArray();
        await store.SaveFeatureSnapshotAsync(new FeatureSnapshot { Name = "training", CreatedAt = T0, AsOfRule = "r", Rows = 10, Data = big });
        (await store.GetFeatureSnapshotAsync("training"))!.Data.ShouldBe(big);
        // A smaller set replaces every part of the larger one.
        await store.SaveFeatureSnapshotAsync(new FeatureSnapshot { Name = "training", CreatedAt = T0, AsOfRule = "r2", Rows = 1, Data = [1, 2, 3, 4] });
        (await store.GetFeatureSnapshotAsync("training"))!.Data.ShouldBe(new byte[] { 1, 2, 3, 4 });
        await store.SaveFeatureSnapshotAsync(new FeatureSnapshot { Name = "other", CreatedAt = T0, AsOfRule = "r", Rows = 0, Data = [] });
        (await store.GetFeatureSnapshotAsync("other"))!.Data.ShouldBeEmpty();
        (await store.GetFeatureSnapshotAsync("training"))!.Data.ShouldBe(new byte[] { 1, 2, 3, 4 });
    }

    [Fact]
    public async Task A_bad_connection_string_gives_one_clear_error()
    {
        var ex = await Should.ThrowAsync<LeadScoreException>(() => LeadStore.OpenAsync(TestPaths.NewTempDir(), "Host=127.0.0.1;Port=1;Username=x;Timeout=2"));
        ex.Message.ShouldContain("cannot open PostgreSQL 127.0.0.1:1");
        await Should.ThrowAsync<LeadScoreException>(() => LeadStore.OpenAsync(TestPaths.NewTempDir(), "this is not=a;valid;;connection"));
    }
}
