using System.Text;
using Dapper;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>GDPR erasure, checked against the database's own list of tables rather than a list kept in the test.</summary>
public sealed class ErasureTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const string Erased = "erase-me-7";
    private const string Kept = "keep-me-8";

    public static TheoryData<string> Backends => TestStores.Backends;

    private static Lead NewLead(string id, string company) => new()
    {
        Id = id, CreatedAt = T0, Attributes = new Dictionary<string, string?>
        {
            [LeadFields.Company] = company, [LeadFields.Email] = $"{id}.person@mail.example", [LeadFields.FirstName] = $"Firstname{id}", [LeadFields.LastName] = $"Lastname{id}",
        },
    };

    /// <summary>Puts a row in every table, each capability through the store's own API; both leads where a table holds lead data.</summary>
    private static async Task SeedEveryTableAsync(ILeadStore store)
    {
        // An earlier erasure's tombstone (first: an erasure drops the built training sets).
        await store.UpsertLeadsAsync([NewLead("gone-1", "Initech")]);
        (await store.EraseLeadAsync("gone-1", "tombstone-of-gone-1")).ShouldBeTrue();
        foreach (var id in new[] { Erased, Kept })
        {
            await store.UpsertLeadsAsync([NewLead(id, "Acme")]);
            await store.UpsertLeadsAsync([NewLead(id, "Globex")]); // lead_history
            await store.InsertActivitiesAsync([new Activity { EventId = $"ev-{id}", LeadId = id, Type = "page_view", Timestamp = T0, Value = 1 }]);
            await store.InsertActivitiesAsync([new Activity { EventId = $"ev-{id}", LeadId = id, Type = "page_view", Timestamp = T0, Value = 2 }]); // activity_history
            await store.InsertOutcomesAsync([new Outcome { LeadId = id, Kind = OutcomeKind.Converted, At = T0.AddDays(3) }]);
            foreach (var minutes in new[] { 0, 5 }) // score_history twice, scores_latest
                await store.SaveScoresAsync([new StoredScore { LeadId = id, Probability = 0.5, Score = 50, Grade = "B", ModelVersion = "v1", ScoredAt = T0.AddMinutes(minutes), Cause = ScoreCause.NewData, ReasonsJson = $"[{{\"lead\":\"{id}\"}}]" }]);
        }
        await store.UpsertEnrichmentAsync([new Enrichment { Domain = "acme.com", AsOf = T0, Attributes = new Dictionary<string, string?> { ["employees"] = "10" } }]);
        await store.RecordImportAsync(new ImportRecord { Id = "imp1", Kind = "leads", File = "leads.csv", FileHash = "h", StartedAt = T0 });
        await store.AddQuarantineAsync(
        [
            new QuarantineRecord { ImportId = "imp1", Kind = "leads", File = "leads.csv", Line = 2, Reason = "bad date", Raw = $"{Erased},Acme,soon" }, // found by raw text
            new QuarantineRecord { ImportId = "imp1", Kind = "activities", File = "a.jsonl", Line = 3, Reason = "bad value", Raw = "{\"value\":\"x\"}", LeadId = Erased }, // found by lead_id
            new QuarantineRecord { ImportId = "imp1", Kind = "leads", File = "leads.csv", Line = 4, Reason = "bad date", Raw = $"{Kept},Globex,soon", LeadId = Kept },
        ]);
        // A built training set holds every lead's row.
        await store.SaveFeatureSnapshotAsync(new FeatureSnapshot { Name = "training", CreatedAt = T0, AsOfRule = "creation + 14 days", Rows = 2, Data = Encoding.UTF8.GetBytes($"{Erased}\n{Kept}") });
        await store.SaveModelAsync(new ModelVersion { Version = "v1", CreatedAt = T0, Algorithm = "LightGbm", CardJson = "{}" }, [1]);
        await store.SetAliasAsync(ModelAliases.Champion, "v1"); // model_aliases, alias_history
        await store.NextModelNumberAsync(); // counters
        await store.SaveApiKeyAsync(new ApiKey { Id = "k1", Name = "crm", Prefix = "ls_ab", Hash = "h1", Scopes = ["score"], CreatedAt = T0 });
        await store.SaveWebhookAsync(new Webhook { Id = "wh1", Url = "http://x", Rule = WebhookRule.BecameA, Secret = "s", CreatedAt = T0 });
        await store.EnqueueDeliveriesAsync([new NewDelivery("wh1", "lead.became_a", Erased, $"{{\"lead_id\":\"{Erased}\"}}"), new NewDelivery("wh1", "lead.became_a", Kept, $"{{\"lead_id\":\"{Kept}\"}}")]);
        await store.EnqueueJobAsync(new JobRecord { Id = "j1", Kind = "rescore", Status = JobStatus.Queued, RequestJson = "{}", CreatedAt = T0 });
        await store.TryAcquireLeaseAsync("leader", "i1", T0, TimeSpan.FromMinutes(1));
        await store.SaveSettingAsync(SettingNames.LeadSchema, "[]", T0);
        await store.AppendPredictionsAsync(new[] { Erased, Kept }.Select(id => new LoggedPrediction
        {
            PredictedAt = T0, LeadId = id, ModelVersion = "v1", Slot = PredictionSlots.Champion, Probability = 0.5, Grade = "B", Source = PredictionSources.Api, Features = [0, 0, 128, 63],
        }).ToList());
        await store.TryAddAlertAsync(new MonitoringAlert
        {
            Kind = "drift_detected", ModelVersion = "v1", Slot = PredictionSlots.Champion, WindowStart = T0, WindowEnd = T0.AddDays(7), RaisedAt = T0.AddDays(7),
            Message = "lead_source drifted", DetailsJson = "{}",
        });
        // Governance: training membership (both leads), an audit entry (a lead target is a keyed hash, never the id), a tombstone.
        await store.RecordTrainingLeadsAsync("v1", [Erased, Kept]);
        await store.AppendAuditAsync(new NewAuditEntry("cli:tester", AuditActions.OptOut, AuditTargets.Lead, "a1b2c3"));
        // The model lifecycle holds figures about models, never a lead.
        await store.SaveEvaluationAsync(new ModelEvaluation
        {
            Id = "eval1", At = T0, Kind = "gate", Candidate = "v2", Champion = "v1", Passed = true, Rows = 100, Summary = "passed", FiguresJson = "{}", RulesJson = "[]",
        });
        await store.AddLifecycleEventAsync(new LifecycleEvent { At = T0, Kind = "gate", Version = "v2", Previous = "v1", Reason = "passed", EvaluationId = "eval1" });
    }

    /// <summary>"table.column" for every text or binary value, in every table, that mentions <paramref name="leadId"/>.</summary>
    private static async Task<List<string>> MentionsAsync(System.Data.Common.DbConnection c, IReadOnlyDictionary<string, IReadOnlyList<string>> tables, string leadId)
    {
        var found = new List<string>();
        var bytes = Encoding.UTF8.GetBytes(leadId);
        foreach (var (table, columns) in tables)
            foreach (var column in columns)
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = $"SELECT \"{column}\" FROM \"{table}\"";
                await using var r = await cmd.ExecuteReaderAsync();
                var mentions = false;
                while (await r.ReadAsync())
                    mentions |= r.IsDBNull(0) ? false : r.GetValue(0) switch
                    {
                        string s => s.Contains(leadId, StringComparison.Ordinal),
                        byte[] b => b.AsSpan().IndexOf(bytes) >= 0,
                        _ => false,
                    };
                if (mentions) found.Add($"{table}.{column}");
            }
        return found;
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Erasure_leaves_no_row_mentioning_the_lead_in_any_table_of_the_schema(string backend)
    {
        // Given: a row in every table the schema has, both leads' data wherever a table holds lead data
        var (store, ws, cs) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await SeedEveryTableAsync(store);
        await using var db = await RawDatabase.OpenAsync(backend, ws, cs);
        var tables = await RawDatabase.ColumnsByTableAsync(db, backend);
        var empty = new List<string>();
        foreach (var table in tables.Keys)
            if (await RawDatabase.CountAsync(db, table) == 0) empty.Add(table);
        empty.ShouldBeEmpty("a table this test does not fill cannot be checked: seed it in SeedEveryTableAsync");
        var keyed = tables.Where(t => t.Value.Contains(SqlLeadStore.LeadIdColumn) || t.Value.Contains(SqlLeadStore.RawColumn)).Select(t => t.Key).ToList();
        var before = await MentionsAsync(db, tables, Erased);
        keyed.Where(t => !before.Any(m => m.StartsWith(t + ".", StringComparison.Ordinal))).ShouldBeEmpty("every table with lead_id or raw holds the erased lead before erasure");
        (await MentionsAsync(db, tables, $"{Erased}.person@mail.example")).ShouldNotBeEmpty();

        // When
        (await store.EraseLeadAsync(Erased, "tombstone-of-erase-me")).ShouldBeTrue();

        // Then: nothing anywhere mentions the erased lead (id, email or name), and the other lead is intact
        (await MentionsAsync(db, tables, Erased)).ShouldBeEmpty();
        (await MentionsAsync(db, tables, $"{Erased}.person@mail.example")).ShouldBeEmpty();
        (await MentionsAsync(db, tables, $"Firstname{Erased}")).ShouldBeEmpty();
        (await MentionsAsync(db, tables, $"Lastname{Erased}")).ShouldBeEmpty();
        (await store.GetErasureTombstonesAsync()).ShouldBe(["tombstone-of-erase-me", "tombstone-of-gone-1"], ignoreOrder: true);
        (await store.GetModelsTrainedWithAsync(Erased)).ShouldBeEmpty();
        (await store.GetModelsTrainedWithAsync(Kept)).ShouldBe(["v1"]);
        (await store.GetLeadAsync(Kept)).ShouldNotBeNull();
        (await store.GetLeadHistoryAsync(Kept)).Count.ShouldBe(1);
        (await store.GetActivitiesAsync(Kept)).Count.ShouldBe(1);
        (await store.GetScoreHistoryAsync(Kept)).Count.ShouldBe(2);
        (await store.ListQuarantineAsync()).Select(q => q.LeadId).ShouldBe([Kept]);
        (await store.ListDeliveriesAsync("wh1", 10)).Select(d => d.LeadId).ShouldBe([Kept]);
        (await store.GetFeatureSnapshotAsync("training")).ShouldBeNull("a training set holding the lead is dropped, to be rebuilt");
        (await store.GetSettingAsync(SettingNames.LeadSchema)).ShouldNotBeNull();
        (await store.CountPredictionsAsync()).ShouldBe(1, "the prediction log keeps the other lead's rows");
        (await store.ListAlertsAsync()).Count.ShouldBe(1);
        (await store.EraseLeadAsync(Erased)).ShouldBeFalse("nothing is left to erase");
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Erasure_covers_a_table_added_later_with_a_lead_id_column(string backend)
    {
        var (store, ws, cs) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.UpsertLeadsAsync([NewLead(Erased, "Acme")]);
        await using var db = await RawDatabase.OpenAsync(backend, ws, cs);
        await db.ExecuteAsync("CREATE TABLE later_feature (id TEXT PRIMARY KEY, lead_id TEXT NOT NULL)");
        await db.ExecuteAsync("INSERT INTO later_feature (id, lead_id) VALUES ('x1', @a), ('x2', @b)", new { a = Erased, b = Kept });

        (await store.EraseLeadAsync(Erased)).ShouldBeTrue();

        (await db.QueryAsync<string>("SELECT lead_id FROM later_feature")).ShouldBe([Kept]);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Erasure_removes_quarantined_rows_that_name_the_lead_as_a_whole_field(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.UpsertLeadsAsync([NewLead("L1", "Acme")]);
        string[] naming = ["L1,Acme,2026", "x;\"L1\";y", "{\"lead_id\":\"L1\",\"v\":1}", "a\tL1", "L1"];
        string[] notNaming = ["L10,Acme", "xL1,y", "l1,Acme", "{\"lead_id\":\"L1_b\"}", "a%1,b"];
        await store.AddQuarantineAsync(naming.Concat(notNaming).Select((raw, i) =>
            new QuarantineRecord { ImportId = "imp", Kind = "leads", File = "f.csv", Line = i + 2, Reason = "r", Raw = raw }).ToList());

        (await store.EraseLeadAsync("L1")).ShouldBeTrue();

        (await store.ListQuarantineAsync()).Select(q => q.Raw).ShouldBe(notNaming);
    }
}
