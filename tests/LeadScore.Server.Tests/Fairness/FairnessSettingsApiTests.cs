using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Governance;
using LeadScore.Application.Ingestion;
using LeadScore.Application.Security;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Fairness;

/// <summary>GET/PUT /api/v1/fairness/settings on a real server: the admin scope, the schema's suggestion, validation as ProblemDetails naming the field.</summary>
public sealed class FairnessSettingsApiTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private static readonly ColumnSchema[] Schema =
    [
        new() { Name = "lead_id", Kind = ColumnKind.Text }, new() { Name = "country", Kind = ColumnKind.Categorical },
        new() { Name = "company_size", Kind = ColumnKind.Categorical }, new() { Name = "age_band", Kind = ColumnKind.Categorical },
        new() { Name = "visits", Kind = ColumnKind.Numeric },
    ];

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PutAsync(HttpClient client, string body)
    {
        var r = await client.PutAsync("/api/v1/fairness/settings", Json(body));
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement);
    }

    /// <summary>The one field a 400 names, and its message.</summary>
    private static (string Field, string Message) Problem(JsonElement body)
    {
        var error = body.GetProperty("errors").EnumerateObject().ShouldHaveSingleItem();
        return (error.Name, error.Value[0].GetString()!);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Settings_are_suggested_then_declared_read_back_and_audited_and_need_the_admin_scope(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        await LeadSchema.MergeAsync(app.Store, Schema, TestData.T0);
        var (key, record) = ApiKeys.Create("fairness-admin", [ApiScopes.Admin], TimeProvider.System.GetUtcNow());
        await app.Store.SaveApiKeyAsync(record);
        using var admin = app.CreateClient(key);
        using var scorer = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));
        using var monitor = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Monitoring));
        using var anonymous = app.CreateClient();

        var suggested = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/fairness/settings")).RootElement;
        var (status, saved) = await PutAsync(admin, """{"sensitive":["country"],"watch":["company_size"],"min_group_size":25,"ratio_threshold":0.85,"gap_threshold":0.08}""");
        var read = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/fairness/settings")).RootElement;

        suggested.GetProperty("declared").GetBoolean().ShouldBeFalse();
        suggested.GetProperty("suggested_sensitive").EnumerateArray().Select(e => e.GetString()).ShouldBe(["age_band", "country"]);
        suggested.GetProperty("ratio_threshold").GetDouble().ShouldBe(0.8);
        suggested.GetProperty("version").GetInt64().ShouldBe(0);
        status.ShouldBe(HttpStatusCode.OK);
        saved.GetProperty("declared").GetBoolean().ShouldBeTrue();
        read.GetProperty("sensitive").EnumerateArray().Select(e => e.GetString()).ShouldBe(["country"]);
        read.GetProperty("watch").EnumerateArray().Select(e => e.GetString()).ShouldBe(["company_size"]);
        read.GetProperty("min_group_size").GetInt32().ShouldBe(25);
        read.GetProperty("ratio_threshold").GetDouble().ShouldBe(0.85);
        read.GetProperty("gap_threshold").GetDouble().ShouldBe(0.08);
        read.GetProperty("source").GetString().ShouldBe("declared in settings");
        read.GetProperty("version").GetInt64().ShouldBeGreaterThan(0);
        var audit = await app.Service<AuditLog>().ListAsync(action: AuditActions.SettingChange);
        audit.ShouldContain(e => e.TargetId == "fairness:settings" && e.Actor == "api:fairness-admin");

        foreach (var other in new[] { scorer, monitor })
        {
            (await other.GetAsync("/api/v1/fairness/settings")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await other.PutAsync("/api/v1/fairness/settings", Json("""{"sensitive":[]}"""))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }
        (await anonymous.GetAsync("/api/v1/fairness/settings")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Bad_settings_are_refused_with_a_problem_naming_the_field_and_nothing_is_saved(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        await LeadSchema.MergeAsync(app.Store, Schema, TestData.T0);
        using var admin = await app.AdminClientAsync();
        var tooLong = new string('x', 101);

        var cases = new (string Body, string Field, string Message)[]
        {
            ("""{"sensitive":["contry"]}""", "sensitive", "'contry' is not a column of the imported lead schema; did you mean 'country'? valid: age_band, company_size, country, lead_id, visits"),
            ("""{"sensitive":["country"],"watch":["zz_top"]}""", "watch", "'zz_top' is not a column of the imported lead schema; valid: age_band, company_size, country, lead_id, visits"),
            ($$"""{"sensitive":["{{tooLong}}"]}""", "sensitive", $"attribute name '{tooLong[..20]}...' is 101 characters long; at most 100"),
            ("""{"sensitive":["country"],"watch":["country"]}""", "watch", "'country' cannot be both sensitive and watched"),
            ("""{"sensitive":["country"],"mitigate":"age_band"}""", "mitigate", "mitigation needs a sensitive attribute; 'age_band' is not declared sensitive"),
            ("""{"sensitive":["country"],"min_group_size":0}""", "min_group_size", "the minimum group size must be at least 1"),
            ("""{"sensitive":["country"],"ratio_threshold":1.5}""", "ratio_threshold", "the ratio threshold must be above 0 and at most 1"),
            ("""{"sensitive":["country"],"gap_threshold":0}""", "gap_threshold", "the gap threshold must be above 0 and at most 1"),
        };
        foreach (var (body, field, message) in cases)
        {
            var (status, problem) = await PutAsync(admin, body);
            status.ShouldBe(HttpStatusCode.BadRequest, body);
            Problem(problem).ShouldBe((field, message), body);
        }
        // The strict JSON reader refuses a null list and a missing one, naming the field too.
        foreach (var body in new[] { """{"sensitive":null}""", """{"watch":["country"]}""" })
        {
            var (status, problem) = await PutAsync(admin, body);
            status.ShouldBe(HttpStatusCode.BadRequest, body);
            Problem(problem).Field.ShouldBe("sensitive", body);
        }
        var notJson = await admin.PutAsync("/api/v1/fairness/settings", Json("""{"sensitive":"""));
        ((int)notJson.StatusCode).ShouldBe(400);
        notJson.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");

        JsonDocument.Parse(await admin.GetStringAsync("/api/v1/fairness/settings")).RootElement.GetProperty("declared").GetBoolean().ShouldBeFalse();
    }
}
