using System.Data.Common;
using System.Text;
using Dapper;
using LeadScore.Application.Features;
using LeadScore.Application.Governance;
using LeadScore.Application.Ingestion;
using LeadScore.Core;
using LeadScore.Engine.Features;
using LeadScore.Engine.Ingestion;
using LeadScore.Storage;
using LeadScore.TestKit;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace LeadScore.Application.Tests;

/// <summary>The audit log's chain, erasure with tombstones and workspace files, opt-out in training: on SQLite and PostgreSQL.</summary>
public sealed class GovernanceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DbConnection Raw(string backend, string workspace, string? cs) => backend == TestStores.Postgres
        ? new NpgsqlConnection(cs)
        : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(workspace, LeadStore.SqliteFileName), Pooling = false }.ToString());

    private static async Task<AuditLog> AuditWithEntriesAsync(ILeadStore store, int n)
    {
        var audit = AppServices.For(store).Get<AuditLog>();
        for (var i = 1; i <= n; i++)
            await audit.RecordAsync(AuditActions.Promote, AuditTargets.Model, $"v{i}", new Dictionary<string, object?> { ["alias"] = "champion" }, Actor.Cli("tester"));
        return audit;
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Audit_verify_finds_an_entry_edited_in_the_database(string backend)
    {
        var (store, ws, cs) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var audit = await AuditWithEntriesAsync(store, 5);
        (await audit.VerifyAsync()).Ok.ShouldBeTrue();

        await using var db = Raw(backend, ws, cs);
        await db.ExecuteAsync("UPDATE audit_log SET actor = 'cli:someone-else' WHERE seq = 3");

        var v = await audit.VerifyAsync();
        v.Ok.ShouldBeFalse();
        v.BrokenAt.ShouldBe(3);
        v.Reason!.ShouldContain("edited");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Audit_verify_finds_an_entry_deleted_in_the_middle_or_at_the_end(string backend)
    {
        var (store, ws, cs) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var audit = await AuditWithEntriesAsync(store, 5);
        await using var db = Raw(backend, ws, cs);

        await db.ExecuteAsync("DELETE FROM audit_log WHERE seq = 5");
        var atEnd = await audit.VerifyAsync();
        await db.ExecuteAsync("DELETE FROM audit_log WHERE seq = 2");
        var inMiddle = await audit.VerifyAsync();

        atEnd.Ok.ShouldBeFalse("the recorded head names entry 5");
        atEnd.Reason!.ShouldContain("newest entries were deleted");
        inMiddle.Ok.ShouldBeFalse();
        inMiddle.BrokenAt.ShouldBe(2);
    }

    [Fact]
    public async Task Concurrent_appends_from_two_instances_on_PostgreSQL_keep_one_chain()
    {
        // Two stores on one database: two LeadScore instances, each appending from several threads at once.
        var cs = await TestStores.CreatePostgresDatabaseAsync();
        await using var a = await LeadStore.OpenAsync(TestPaths.NewTempDir("ws"), cs);
        await using var b = await LeadStore.OpenAsync(TestPaths.NewTempDir("ws"), cs);
        var tasks = Enumerable.Range(0, 80).Select(i => Task.Run(() =>
            (i % 2 == 0 ? a : b).AppendAuditAsync(new NewAuditEntry($"api:k{i % 2}", AuditActions.Export, AuditTargets.Leads, "*", $"{{\"i\":{i}}}")))).ToList();
        await Task.WhenAll(tasks);

        var v = await AppServices.For(a).Get<AuditLog>().VerifyAsync();
        v.Ok.ShouldBeTrue(v.Reason);
        v.Entries.ShouldBe(80);
        tasks.Select(t => t.Result.Sequence).Order().ShouldBe(Enumerable.Range(1, 80).Select(i => (long)i));
    }

    private static Lead Person(string id, string email, string first, string last) => new()
    {
        Id = id, CreatedAt = T0, Attributes = new Dictionary<string, string?>
        {
            [LeadFields.Email] = email, [LeadFields.FirstName] = first, [LeadFields.LastName] = last, [LeadFields.Company] = "Zorgcorp", [LeadFields.Source] = "web",
        },
    };

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Erasure_removes_the_lead_from_every_file_under_the_workspace_and_a_reimport_does_not_bring_it_back(string backend)
    {
        // Given: the lead in the database and in files the product wrote under the workspace
        var (store, ws, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var services = AppServices.For(store, ws);
        await store.UpsertLeadsAsync([Person("qx-erase-1", "quinta.erasable@mail.example", "Quinta", "Erasableton"), Person("qx-keep-2", "kept@mail.example", "Kay", "Keeper")]);
        await store.InsertActivitiesAsync([new Activity { EventId = "e1", LeadId = "qx-erase-1", Type = "page_view", Timestamp = T0 }]);
        await store.RecordTrainingLeadsAsync("v3", ["qx-erase-1", "qx-keep-2"]);
        Directory.CreateDirectory(Path.Combine(ws, "scores"));
        File.WriteAllText(Path.Combine(ws, "scores", "out.csv"), "lead_id,email,score\nqx-erase-1,quinta.erasable@mail.example,80\nqx-keep-2,kept@mail.example,20\n");
        Directory.CreateDirectory(Path.Combine(ws, "report"));
        File.WriteAllText(Path.Combine(ws, "report", "index.html"), "<td>qx-erase-1</td>");
        var leadsFile = Path.Combine(TestPaths.NewTempDir("src"), "leads.csv");
        File.WriteAllText(leadsFile, "lead_id,email,first_name,last_name,company,created_at\nqx-erase-1,quinta.erasable@mail.example,Quinta,Erasableton,Zorgcorp,2026-01-01\n");

        // When
        var r = await services.Get<PrivacyService>().EraseAsync("qx-erase-1");

        // Then: no file under the workspace (the SQLite database and its log included) holds the id, email or name
        r.Erased.ShouldBeTrue();
        r.ModelsTrainedWith.ShouldBe(["v3"]);
        r.FilesEdited.ShouldBe([Path.Combine(ws, "scores", "out.csv")]);
        r.FilesDeleted.ShouldBe([Path.Combine(ws, "report", "index.html")]);
        File.ReadAllText(Path.Combine(ws, "scores", "out.csv")).ShouldBe("lead_id,email,score\nqx-keep-2,kept@mail.example,20\n");
        foreach (var file in Directory.EnumerateFiles(ws, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            foreach (var needle in new[] { "qx-erase-1", "quinta.erasable@mail.example", "Erasableton" })
                bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)).ShouldBe(-1, $"{file} still holds {needle}");
        }
        var audit = await services.Get<AuditLog>().ListAsync(action: AuditActions.Erase, leadId: "qx-erase-1");
        audit.Count.ShouldBe(1);
        audit[0].TargetId.ShouldNotContain("qx-erase-1");

        // And a re-import of the same file skips it, unless asked
        var importer = services.Get<ImportService>();
        var again = await importer.ImportFileAsync(ImportKind.Leads, leadsFile);
        again.ErasedSkipped.ShouldBe(1);
        (await store.GetLeadAsync("qx-erase-1")).ShouldBeNull();
        var plan = await importer.PlanAsync(ImportKind.Leads, leadsFile, null);
        var allowed = await importer.ImportPlannedAsync(plan, leadsFile, allowErased: true);
        allowed.Inserted.ShouldBe(1);
        (await store.GetLeadAsync("qx-erase-1")).ShouldNotBeNull();
        (await store.GetErasureTombstonesAsync()).ShouldBeEmpty();
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task An_opted_out_lead_is_absent_from_a_rebuilt_training_set_and_back_after_opt_in(string backend)
    {
        var (store, ws, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var services = AppServices.For(store, ws);
        var leads = Enumerable.Range(0, 40).Select(i => Person($"t{i:00}", $"p{i}@mail.example", "A", "B") with { CreatedAt = T0.AddDays(i % 5) }).ToList();
        await store.UpsertLeadsAsync(leads);
        await store.InsertActivitiesAsync(leads.Select(l => new Activity { EventId = "a" + l.Id, LeadId = l.Id, Type = "page_view", Timestamp = l.CreatedAt.AddHours(1) }).ToList());
        await store.InsertOutcomesAsync(leads.Select((l, i) => new Outcome { LeadId = l.Id, Kind = i % 2 == 0 ? OutcomeKind.Converted : OutcomeKind.Lost, At = l.CreatedAt.AddDays(30) }).ToList());
        var privacy = services.Get<PrivacyService>();
        var features = services.Get<FeatureService>();
        var options = new TrainingSetOptions { DecisionDelay = TimeSpan.FromDays(1) };

        await privacy.SetOptOutAsync("t07", true);
        var without = await features.BuildTrainingSetAsync(options);
        await privacy.SetOptOutAsync("t07", false);
        var with = await features.BuildTrainingSetAsync(options);

        without.Set.Frame.Ids.ShouldNotContain("t07");
        without.Set.Frame.Ids.Distinct().Count().ShouldBe(39);
        with.Set.Frame.Ids.ShouldContain("t07");
        var entries = await services.Get<AuditLog>().ListAsync(leadId: "t07");
        entries.Select(e => e.Action).ShouldBe([AuditActions.OptIn, AuditActions.OptOut]);
        entries.ShouldAllBe(e => e.Actor == "system:leadscore");
    }
}
