using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Server.Tests.Monitoring;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Dashboard;

/// <summary>The monitoring, lifecycle, governance and privacy routes of the dashboard over HTTP on both backends: scopes, CSRF, bad input as ProblemDetails.</summary>
public sealed class DashboardOperationsHttpTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static HttpRequestMessage Post(string url, string? csrf, string? json = null)
    {
        var m = new HttpRequestMessage(HttpMethod.Post, url);
        if (csrf is not null) m.Headers.Add("X-CSRF-Token", csrf);
        if (json is not null) m.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return m;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage r, HttpStatusCode status)
    {
        var body = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(status, body);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        return JsonDocument.Parse(body).RootElement;
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task New_posts_without_the_csrf_token_are_refused_and_change_nothing(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: DashboardTestKit.SeedAsync);
        var (client, csrf, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Admin, ApiScopes.Privacy, ApiScopes.Score));
        var policy = await client.GetStringAsync("/dashboard/api/lifecycle");
        var policyJson = JsonDocument.Parse(policy).RootElement.GetProperty("policy").GetRawText().Replace("\"shadow\"", "\"split\"", StringComparison.Ordinal);
        var lead = DashboardTestKit.Id(9);

        foreach (var (url, json) in new[] { ("/dashboard/api/policy", policyJson), ($"/dashboard/api/privacy/opt-out?id={lead}", null), ($"/dashboard/api/privacy/opt-in?id={lead}", null),
                     ($"/dashboard/api/privacy/erase?id={lead}&confirm={lead}", null), ("/dashboard/api/quarantine/retry?import=x", null) })
        {
            var refused = await client.SendAsync(Post(url, null, json));
            refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden, url);
            (await refused.Content.ReadAsStringAsync()).ShouldContain("CSRF");
            (await client.SendAsync(Post(url, "not-a-token", json))).StatusCode.ShouldBe(HttpStatusCode.Forbidden, url);
        }
        (await app.Store.GetLeadAsync(lead)).ShouldNotBeNull();
        (await app.Store.GetLeadAsync(lead))!.ProfilingOptOut.ShouldBeFalse();
        JsonDocument.Parse(await client.GetStringAsync("/dashboard/api/lifecycle")).RootElement.GetProperty("policy_version").GetInt64().ShouldBe(0);

        // With the token they go through.
        (await client.SendAsync(Post("/dashboard/api/policy", csrf, policyJson))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.SendAsync(Post($"/dashboard/api/privacy/opt-out?id={lead}", csrf))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Store.GetLeadAsync(lead))!.ProfilingOptOut.ShouldBeTrue();
        var erased = await client.SendAsync(Post($"/dashboard/api/privacy/erase?id={lead}&confirm={lead}", csrf));
        erased.StatusCode.ShouldBe(HttpStatusCode.OK, await erased.Content.ReadAsStringAsync());
        (await app.Store.GetLeadAsync(lead)).ShouldBeNull();
        client.Dispose();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_score_key_is_refused_every_new_route_even_with_its_token(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: DashboardTestKit.SeedAsync);
        var (client, csrf, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Score));
        var lead = DashboardTestKit.Id(9);
        foreach (var url in new[] { "/dashboard/api/monitoring", "/dashboard/api/lifecycle", "/dashboard/api/governance", "/dashboard/api/audit", "/dashboard/api/audit/verify",
                     $"/dashboard/api/privacy/export?id={lead}", "/dashboard/api/quarantine.csv?import=x" })
            (await ProblemAsync(await client.GetAsync(url), HttpStatusCode.Forbidden)).GetProperty("title").GetString().ShouldBe("Missing scope", url);
        foreach (var url in new[] { "/dashboard/api/policy", $"/dashboard/api/privacy/opt-out?id={lead}", $"/dashboard/api/privacy/erase?id={lead}&confirm={lead}", "/dashboard/api/quarantine/retry?import=x" })
            (await client.SendAsync(Post(url, csrf, url.EndsWith("policy", StringComparison.Ordinal) ? "{}" : null))).StatusCode.ShouldBe(HttpStatusCode.Forbidden, url);
        (await app.Store.GetLeadAsync(lead)).ShouldNotBeNull();
        (await app.Store.GetLeadAsync(lead))!.ProfilingOptOut.ShouldBeFalse();
        // Signed out: 401, not a page.
        using var anonymous = new HttpClient { BaseAddress = app.BaseAddress };
        (await anonymous.GetAsync("/dashboard/api/monitoring")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        client.Dispose();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Bad_input_is_a_problem_naming_the_field_never_a_server_error(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: DashboardTestKit.SeedAsync);
        var (client, csrf, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync());
        var lead = DashboardTestKit.Id(9);

        (await ProblemAsync(await client.GetAsync("/dashboard/api/monitoring?window=0"), HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("window", out _).ShouldBeTrue();
        (await ProblemAsync(await client.GetAsync("/dashboard/api/monitoring?slot=canary"), HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("slot", out _).ShouldBeTrue();
        (await ProblemAsync(await client.GetAsync("/dashboard/api/audit?action=" + new string('a', 101)), HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("action", out _).ShouldBeTrue();
        var wrongConfirm = await ProblemAsync(await client.SendAsync(Post($"/dashboard/api/privacy/erase?id={lead}&confirm=L00", csrf)), HttpStatusCode.BadRequest);
        wrongConfirm.GetProperty("errors").TryGetProperty("confirm", out _).ShouldBeTrue();
        (await app.Store.GetLeadAsync(lead)).ShouldNotBeNull("a wrong confirmation erases nothing");
        (await ProblemAsync(await client.SendAsync(Post("/dashboard/api/privacy/opt-out", csrf)), HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("id", out _).ShouldBeTrue();
        await ProblemAsync(await client.SendAsync(Post("/dashboard/api/privacy/opt-out?id=NOPE", csrf)), HttpStatusCode.NotFound);
        await ProblemAsync(await client.GetAsync("/dashboard/api/privacy/export?id=NOPE"), HttpStatusCode.NotFound);
        var badPolicy = await ProblemAsync(await client.SendAsync(Post("/dashboard/api/policy", csrf, """{"challenger": {"mode": "canary"}}""")), HttpStatusCode.BadRequest);
        badPolicy.GetProperty("errors").TryGetProperty("challenger.mode", out _).ShouldBeTrue(badPolicy.GetRawText());
        await ProblemAsync(await client.SendAsync(Post("/dashboard/api/policy", csrf, "{\"schedule\": {")), HttpStatusCode.BadRequest);
        (await ProblemAsync(await client.GetAsync("/dashboard/api/quarantine.csv"), HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("import", out _).ShouldBeTrue();
        (await ProblemAsync(await client.SendAsync(Post("/dashboard/api/quarantine/retry", csrf)), HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("import", out _).ShouldBeTrue();
        client.Dispose();
    }

    /// <summary>The seeded leads' schema, as an import would have merged it: source and visits categorical, email personal.</summary>
    internal static Task SchemaAsync(ILeadStore store) => LeadScore.Application.Ingestion.LeadSchema.MergeAsync(store, [
        new ColumnSchema { Name = LeadFields.Source, Kind = ColumnKind.Categorical },
        new ColumnSchema { Name = "visits", Kind = ColumnKind.Categorical },
        new ColumnSchema { Name = LeadFields.Email, Kind = ColumnKind.Categorical, IsPersonal = true, PersonalReason = "email addresses in values" },
        new ColumnSchema { Name = LeadFields.Company, Kind = ColumnKind.Text },
    ], DateTimeOffset.UnixEpoch);

    [Theory, MemberData(nameof(Backends))]
    public async Task Leads_are_filtered_by_any_segment_and_searched_by_email_only_with_the_personal_data_scope(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: async s => { await DashboardTestKit.SeedAsync(s); await SchemaAsync(s); });
        var (scorer, _, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Score));
        var (personal, _, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Score, ApiScopes.PersonalData));
        static async Task<JsonElement> PageAsync(HttpClient c, string q) => JsonDocument.Parse(await c.GetStringAsync("/dashboard/api/leads" + q)).RootElement;
        static List<string> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();

        var all = await PageAsync(scorer, "");
        all.GetProperty("segments").EnumerateArray().Select(e => e.GetString()).ShouldBe(["source", "visits"], "categorical, not personal");
        var web = await PageAsync(scorer, "?segment=source&value=web");
        web.GetProperty("items").EnumerateArray().ShouldAllBe(i => i.GetProperty("source").GetString() == "web");
        Ids(web).Count.ShouldBe(Enumerable.Range(1, DashboardTestKit.Leads).Count(i => i % 3 == 0));
        var visits = await PageAsync(scorer, "?segment=visits&value=3&sort=created_asc");
        Ids(visits).ShouldBe(Enumerable.Range(1, DashboardTestKit.Leads).Where(i => i % 20 == 3).Select(DashboardTestKit.Id).ToList());
        Ids(await PageAsync(scorer, "?segment=visits&value=nothing")).ShouldBeEmpty();
        var csv = await scorer.GetStringAsync("/dashboard/api/leads.csv?segment=visits&value=3");
        csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(1 + Ids(visits).Count);
        (await ProblemAsync(await scorer.GetAsync("/dashboard/api/leads?segment=a'b&value=x"), HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("segment", out _).ShouldBeTrue();

        // Email: exact, any case; only for a key that may read personal data.
        Ids(await PageAsync(personal, "?email=PERSON42@example.com")).ShouldBe([DashboardTestKit.Id(42)]);
        Ids(await PageAsync(personal, "?email=person4@example")).ShouldBeEmpty("exact, not a part");
        (await ProblemAsync(await scorer.GetAsync("/dashboard/api/leads?email=person42@example.com"), HttpStatusCode.Forbidden)).GetProperty("detail").GetString()!.ShouldContain("personal_data");
        (await scorer.GetAsync("/dashboard/api/leads.csv?email=person42@example.com")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        scorer.Dispose();
        personal.Dispose();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task The_monitoring_route_answers_the_api_figures_with_each_features_importance(string backend)
    {
        // The system clock: every cohort of the world has matured by MonitoringWorld.After (a date in the past), and a browser keeps a session
        // cookie only when its expiry is ahead of the real clock.
        (TimeProvider.System.GetUtcNow() > MonitoringWorld.After).ShouldBeTrue();
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: s => MonitoringWorld.SeedAsync(s),
            settings: new Dictionary<string, string?> { ["LeadScore:Monitoring:MonitoringInterval"] = "01:00:00" });
        var key = await app.CreateKeyAsync(ApiScopes.Monitoring);
        var (client, _, _) = await DashboardTestKit.SignInAsync(app, key);
        using var api = app.CreateClient(key);

        var page = JsonDocument.Parse(await client.GetStringAsync("/dashboard/api/monitoring?window=7")).RootElement;
        var drift = JsonDocument.Parse(await api.GetStringAsync("/api/v1/monitoring/drift?window=7")).RootElement;
        var performance = JsonDocument.Parse(await api.GetStringAsync("/api/v1/monitoring/performance?window=7")).RootElement;

        // The same figures the API answers (one MonitoringService, one view mapping).
        page.GetProperty("drift").GetProperty("dataset_drift").GetBoolean().ShouldBeTrue();
        static IEnumerable<string> Figures(JsonElement features) => features.EnumerateArray()
            .Select(f => $"{f.GetProperty("feature").GetString()} {f.GetProperty("test").GetString()} {f.GetProperty("statistic").GetDouble():R} {f.GetProperty("drifted").GetBoolean()}");
        Figures(page.GetProperty("drift").GetProperty("features")).ShouldBe(Figures(drift.GetProperty("features")));
        static IEnumerable<string> Aucs(JsonElement windows) => windows.EnumerateArray()
            .Select(w => $"{w.GetProperty("start").GetString()} {w.GetProperty("realized_auc").GetDouble():R} {w.GetProperty("estimated_auc").GetDouble():R}");
        Aucs(page.GetProperty("performance").GetProperty("windows")).Count().ShouldBe(MonitoringWorld.Weeks);
        Aucs(page.GetProperty("performance").GetProperty("windows")).ShouldBe(Aucs(performance.GetProperty("windows")));
        var importance = page.GetProperty("importance");
        importance.EnumerateObject().Select(p => p.Name).ShouldBe(["source", "visits"], ignoreOrder: true);
        importance.GetProperty("visits").GetDouble().ShouldBeGreaterThan(0, "visits carries most of the signal");
        page.GetProperty("alerts").GetArrayLength().ShouldBe(0, "reading the page raises no alert");
        client.Dispose();
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task The_fairness_settings_are_saved_through_the_apis_handler_refusing_a_bad_field_by_name_and_audited(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: DashboardTestKit.SeedAsync);
        var key = await app.CreateKeyAsync(ApiScopes.Admin);
        var (client, csrf, _) = await DashboardTestKit.SignInAsync(app, key);
        const string url = "/dashboard/api/fairness";
        const string good = """{"sensitive":["country"],"watch":["company_size"],"min_group_size":40,"mitigate":null,"ratio_threshold":0.75,"gap_threshold":0.2}""";
        JsonElement Read(string json) => JsonDocument.Parse(json).RootElement;

        Read(await client.GetStringAsync(url)).GetProperty("declared").GetBoolean().ShouldBeFalse();
        (await client.SendAsync(Post(url, null, good))).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "no CSRF token");
        foreach (var (json, field) in new[]
                 {
                     (good.Replace("0.75", "1.5", StringComparison.Ordinal), "ratio_threshold"),
                     (good.Replace("\"min_group_size\":40", "\"min_group_size\":0", StringComparison.Ordinal), "min_group_size"),
                     (good.Replace("\"min_group_size\":40", "\"min_group_size\":\"forty\"", StringComparison.Ordinal), "min_group_size"),
                     (good.Replace("\"company_size\"", "\"country\"", StringComparison.Ordinal), "watch"),
                     (good.Replace("\"mitigate\":null", "\"mitigate\":\"region\"", StringComparison.Ordinal), "mitigate"),
                 })
        {
            var problem = await ProblemAsync(await client.SendAsync(Post(url, csrf, json)), HttpStatusCode.BadRequest);
            problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(json + " -> " + problem.GetRawText());
        }
        Read(await client.GetStringAsync(url)).GetProperty("declared").GetBoolean().ShouldBeFalse("nothing refused was saved");
        var audit = app.Service<LeadScore.Application.Governance.AuditLog>();
        (await audit.ListAsync(action: AuditActions.SettingChange)).ShouldBeEmpty();

        var saved = await client.SendAsync(Post(url, csrf, good));
        saved.StatusCode.ShouldBe(HttpStatusCode.OK, await saved.Content.ReadAsStringAsync());
        var now = Read(await client.GetStringAsync(url));
        now.GetProperty("declared").GetBoolean().ShouldBeTrue();
        now.GetProperty("sensitive").EnumerateArray().Select(e => e.GetString()).ShouldBe(["country"]);
        now.GetProperty("min_group_size").GetInt32().ShouldBe(40);
        now.GetProperty("ratio_threshold").GetDouble().ShouldBe(0.75);
        // What the public API reads back, and the audit entry the API's handler writes, with the session as its actor.
        using var api = app.CreateClient(key);
        Read(await api.GetStringAsync("/api/v1/fairness/settings")).GetProperty("gap_threshold").GetDouble().ShouldBe(0.2);
        var entry = (await audit.ListAsync(action: AuditActions.SettingChange)).ShouldHaveSingleItem();
        entry.TargetId.ShouldBe(LeadScore.Application.Fairness.FairnessService.SettingName);
        entry.Actor.ShouldStartWith("dashboard:");

        // A key without admin may neither read nor change them.
        var (scoreOnly, scoreCsrf, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Score));
        (await scoreOnly.GetAsync(url)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await scoreOnly.SendAsync(Post(url, scoreCsrf, good))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        scoreOnly.Dispose();
        client.Dispose();
    }
}
