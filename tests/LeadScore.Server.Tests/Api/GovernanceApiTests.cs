using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Governance;
using LeadScore.Application.Scoring;
using LeadScore.Application.Security;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>Personal-data scope, privacy endpoints, opt-out on every scoring path and audit actors, on a real server.</summary>
public sealed class GovernanceApiTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private static Lead Person(string id) => new()
    {
        Id = id, CreatedAt = TestData.T0, Attributes = new Dictionary<string, string?>
        {
            [LeadFields.Company] = "Acme", [LeadFields.Email] = $"{id}@mail.example", [LeadFields.FirstName] = "Petra", [LeadFields.LastName] = "Person",
            [LeadFields.Phone] = "+49 30 1234567", ["visits"] = "18", ["source"] = "event",
        },
    };

    private static async Task<(string Key, string Name)> KeyAsync(LeadScoreApplication app, params string[] scopes)
    {
        var name = "key-" + Guid.NewGuid().ToString("N")[..8];
        var (key, record) = ApiKeys.Create(name, scopes, TimeProvider.System.GetUtcNow());
        await app.Store.SaveApiKeyAsync(record);
        return (key, name);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_score_only_key_reads_no_personal_fields_and_cannot_use_privacy_or_audit(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        await app.Store.UpsertLeadsAsync([Person("P1")]);
        var (scoreKey, _) = await KeyAsync(app, ApiScopes.Score);
        var (personalKey, personalName) = await KeyAsync(app, ApiScopes.Score, ApiScopes.PersonalData);
        using var score = app.CreateClient(scoreKey);
        using var personal = app.CreateClient(personalKey);

        var plain = JsonDocument.Parse(await score.GetStringAsync("/api/v1/leads/P1")).RootElement;
        var full = JsonDocument.Parse(await personal.GetStringAsync("/api/v1/leads/P1")).RootElement;

        var attrs = plain.GetProperty("attributes");
        attrs.GetProperty("company").GetString().ShouldBe("Acme");
        foreach (var field in new[] { "email", "first_name", "last_name", "phone" }) attrs.TryGetProperty(field, out _).ShouldBeFalse(field);
        plain.GetProperty("personal_fields_hidden").GetBoolean().ShouldBeTrue();
        full.GetProperty("attributes").GetProperty("email").GetString().ShouldBe("P1@mail.example");
        foreach (var (method, path) in new[] { ("DELETE", "/api/v1/privacy/leads/P1"), ("GET", "/api/v1/privacy/leads/P1/export"), ("POST", "/api/v1/privacy/leads/P1/opt-out"), ("GET", "/api/v1/audit") })
            (await score.SendAsync(new HttpRequestMessage(new HttpMethod(method), path))).StatusCode.ShouldBe(HttpStatusCode.Forbidden, path);
        (await app.Store.GetLeadAsync("P1")).ShouldNotBeNull();
        // Only the read with personal fields is on record, by the key's name.
        var reads = await app.Service<AuditLog>().ListAsync(action: AuditActions.PersonalRead);
        reads.Select(e => e.Actor).ShouldBe([$"api:{personalName}"]);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task An_opted_out_lead_is_refused_by_every_scoring_path(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: TestModels.SeedChampionAsync);
        await app.Store.UpsertLeadsAsync([Person("P1"), Person("P2")]);
        var (privacyKey, privacyName) = await KeyAsync(app, ApiScopes.Privacy);
        using var privacy = app.CreateClient(privacyKey);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        (await privacy.PostAsync("/api/v1/privacy/leads/P1/opt-out", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // single
        var single = await client.PostAsync("/api/v1/score", Json("""{"id":"P1","attributes":{"visits":18,"source":"event"}}"""));
        single.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        single.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonDocument.Parse(await single.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("detail").GetString()!.ShouldContain("opted out of profiling");
        // batch: that item refused, the other scored
        var batch = JsonDocument.Parse(await (await client.PostAsync("/api/v1/score/batch",
            Json("""{"leads":[{"id":"P1","attributes":{"visits":18,"source":"event"}},{"id":"P2","attributes":{"visits":18,"source":"event"}}]}"""))).Content.ReadAsStringAsync()).RootElement;
        batch.GetProperty("scored").GetInt32().ShouldBe(1);
        batch.GetProperty("results")[0].GetProperty("error").GetString()!.ShouldContain("opted out");
        // stored re-score (every lead, and by id)
        var scoring = app.Service<IScoringService>();
        (await scoring.RescoreAllAsync(ScoreCause.Manual)).ShouldBe(1);
        (await scoring.RescoreAsync(["P1", "P2"], ScoreCause.Manual)).Select(c => c.Current.LeadId).ShouldBe(["P2"]);
        (await app.Store.GetLatestScoreAsync("P1")).ShouldBeNull();
        // a CSV with an id column
        var csv = Path.Combine(TestPaths.NewTempDir("csv"), "leads.csv");
        File.WriteAllText(csv, "lead_id,visits,source\nP1,18,event\nP2,18,event\nP9,3,web\n");
        var refused = new SkippedRows();
        var model = await BatchScoring.LoadModelAsync(app.Store, null);
        var rows = BatchScoring.ScoreCsv(model, csv, new BatchCsvOptions { IdColumn = "lead_id", OptedOut = app.Service<ProfilingOptOuts>().Snapshot, OptedOutRows = refused }, explain: false)
            .SelectMany(c => c).Select(r => r.LeadId).ToList();
        rows.ShouldBe(["P2", "P9"]);
        refused.Count.ShouldBe(1);
        refused.First[0].ShouldContain(":2: lead 'P1' opted out");

        // opt-in reverses it
        (await privacy.PostAsync("/api/v1/privacy/leads/P1/opt-in", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.PostAsync("/api/v1/score", Json("""{"id":"P1","attributes":{"visits":18,"source":"event"}}"""))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var entries = await app.Service<AuditLog>().ListAsync(leadId: "P1");
        entries.Select(e => (e.Action, e.Actor)).ShouldBe([(AuditActions.OptIn, $"api:{privacyName}"), (AuditActions.OptOut, $"api:{privacyName}")]);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Erase_and_export_through_the_privacy_scope_each_leave_one_entry(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        await app.Store.UpsertLeadsAsync([Person("a/b 1")]);
        await app.Store.SaveScoresAsync([TestData.Score("a/b 1", 70, "B")]);
        var (key, name) = await KeyAsync(app, ApiScopes.Privacy);
        using var client = app.CreateClient(key);
        using var admin = await app.AdminClientAsync();

        var export = JsonDocument.Parse(await client.GetStringAsync("/api/v1/privacy/leads/a%2Fb%201/export")).RootElement;
        var erase = await client.DeleteAsync("/api/v1/privacy/leads/a%2Fb%201");
        var again = await client.DeleteAsync("/api/v1/privacy/leads/a%2Fb%201");
        var unknown = await client.DeleteAsync("/api/v1/privacy/leads/never-stored");

        export.GetProperty("lead").GetProperty("attributes").GetProperty("email").GetString().ShouldBe("a/b 1@mail.example");
        export.GetProperty("score_history").GetArrayLength().ShouldBe(1);
        export.GetProperty("scored_by_models").EnumerateArray().Select(e => e.GetString()).ShouldBe(["m1"]);
        erase.StatusCode.ShouldBe(HttpStatusCode.OK);
        JsonDocument.Parse(await erase.Content.ReadAsStringAsync()).RootElement.GetProperty("erased").GetBoolean().ShouldBeTrue();
        JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("erased").GetBoolean().ShouldBeFalse();
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await app.Store.GetLeadAsync("a/b 1")).ShouldBeNull();
        var audit = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/audit?lead=a%2Fb%201")).RootElement.GetProperty("entries");
        audit.EnumerateArray().Select(e => (e.GetProperty("action").GetString(), e.GetProperty("actor").GetString()))
            .ShouldBe([(AuditActions.Erase, $"api:{name}"), (AuditActions.PrivacyExport, $"api:{name}")]);
        JsonDocument.Parse(await admin.GetStringAsync("/api/v1/audit/verify")).RootElement.GetProperty("ok").GetBoolean().ShouldBeTrue();
    }
}
