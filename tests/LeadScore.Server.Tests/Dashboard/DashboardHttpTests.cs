using System.Net;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Dashboard;

/// <summary>The dashboard's session, CSRF defence, headers and page query, over HTTP on both backends.</summary>
public sealed class DashboardHttpTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    [Theory, MemberData(nameof(Backends))]
    public async Task A_post_without_the_csrf_token_is_refused(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: TestModels.SeedChampionAsync);
        var key = await app.CreateKeyAsync(ApiScopes.Admin);
        var (client, csrf, signIn) = await DashboardTestKit.SignInAsync(app, key);
        signIn.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        signIn.Headers.Location!.ToString().ShouldBe("/#/leads");

        // A signed-in admin session, but no token (or another session's) on a state-changing call: 403, nothing changes.
        var noToken = await client.PostAsync("/dashboard/api/models/rollback", null);
        var (other, otherCsrf, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Admin));
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/dashboard/api/models/rollback") { Headers = { { "X-CSRF-Token", "not-a-token" } } };
        var wrongToken = await client.SendAsync(wrong);
        var anonymous = new HttpClient { BaseAddress = app.BaseAddress };
        var signInWithoutToken = await anonymous.PostAsync("/dashboard/session", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = key }));
        var signOutWithoutToken = await client.PostAsync("/dashboard/session/end", new FormUrlEncodedContent(new Dictionary<string, string>()));

        noToken.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await noToken.Content.ReadAsStringAsync()).ShouldContain("CSRF");
        wrongToken.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        signInWithoutToken.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        signOutWithoutToken.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await client.GetAsync("/dashboard/api/models")).StatusCode.ShouldBe(HttpStatusCode.OK, "the session survived the refused sign-out");
        (await app.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v1");
        // With the session's token the same call goes through (409: there is no earlier champion to roll back to).
        using var withToken = new HttpRequestMessage(HttpMethod.Post, "/dashboard/api/models/rollback") { Headers = { { "X-CSRF-Token", csrf } } };
        (await client.SendAsync(withToken)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        otherCsrf.ShouldNotBe(csrf);
        other.Dispose();
        client.Dispose();
    }

    [Fact]
    public async Task The_session_cookie_is_httponly_strict_expiring_scoped_to_the_dashboard_and_holds_no_key()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        var key = await app.CreateKeyAsync(ApiScopes.Score);
        var (client, _, signIn) = await DashboardTestKit.SignInAsync(app, key);

        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("leadscore_session=", StringComparison.Ordinal));
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=strict", Case.Insensitive);
        cookie.ShouldContain("path=/dashboard", Case.Insensitive);
        cookie.ShouldContain("expires=", Case.Insensitive);
        cookie.ShouldNotContain(key);
        cookie.ShouldNotContain(key[..12], customMessage: "not even the key's prefix");
        var session = JsonDocument.Parse(await client.GetStringAsync("/dashboard/api/session")).RootElement;
        session.GetProperty("signed_in").GetBoolean().ShouldBeTrue();
        session.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ShouldBe([ApiScopes.Score]);
        var expires = session.GetProperty("expires_at").GetDateTimeOffset();
        (expires - DateTimeOffset.UtcNow).ShouldBeInRange(TimeSpan.FromHours(7.9), TimeSpan.FromHours(8.1));
        // The cookie is no credential for the public API.
        (await client.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_wrong_key_is_refused_and_a_revoked_key_ends_its_sessions()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: DashboardTestKit.SeedAsync);
        var (_, _, wrong) = await DashboardTestKit.SignInAsync(app, "lsk_wrong");
        wrong.Headers.Location!.ToString().ShouldBe("/?signin=failed");
        (wrong.Headers.TryGetValues("Set-Cookie", out var set) ? set : []).ShouldNotContain(c => c.StartsWith("leadscore_session=", StringComparison.Ordinal));

        var key = await app.CreateKeyAsync(ApiScopes.Score);
        var (client, _, _) = await DashboardTestKit.SignInAsync(app, key);
        (await client.GetAsync("/dashboard/api/leads")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var id = (await app.Store.ListApiKeysAsync()).Single(k => k.Scopes.SequenceEqual([ApiScopes.Score])).Id;
        await app.Store.RevokeApiKeyAsync(id);
        (await client.GetAsync("/dashboard/api/leads")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Dashboard_responses_carry_a_self_only_content_security_policy_and_are_served_from_the_assembly()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        foreach (var path in new[] { "/", "/dashboard/app.js", "/dashboard/app.css", "/dashboard/api/session" })
        {
            var r = await client.GetAsync(path);
            r.StatusCode.ShouldBe(HttpStatusCode.OK, path);
            var csp = r.Headers.GetValues("Content-Security-Policy").Single();
            csp.ShouldContain("default-src 'self'");
            csp.ShouldContain("script-src 'self'");
            csp.ShouldNotContain("unsafe-inline");
            r.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        }
        var html = await client.GetStringAsync("/");
        html.ShouldContain("type=\"password\"");
        html.ShouldNotContain("http://", customMessage: "nothing is fetched from another origin");
        html.ShouldNotContain("https://");
        (await client.GetStringAsync("/dashboard/app.js")).ShouldNotContain("innerHTML");
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task The_leads_page_filters_searches_sorts_and_pages_in_the_database(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: DashboardTestKit.SeedAsync);
        var store = app.Store;

        var first = await store.ListLeadPageAsync(new LeadPageQuery());
        var third = await store.ListLeadPageAsync(new LeadPageQuery { Offset = 100 });
        var gradeA = await store.ListLeadPageAsync(new LeadPageQuery { Grade = "A", Limit = 200 });
        var web = await store.ListLeadPageAsync(new LeadPageQuery { Source = "web", Limit = 200 });
        var won = await store.ListLeadPageAsync(new LeadPageQuery { Statuses = new HashSet<LeadStatus> { LeadStatus.Won } });
        var lost = await store.ListLeadPageAsync(new LeadPageQuery { Statuses = new HashSet<LeadStatus> { LeadStatus.Lost } });
        var open = await store.ListLeadPageAsync(new LeadPageQuery { Statuses = new HashSet<LeadStatus> { LeadStatus.Open }, Limit = 200 });
        var closed = await store.ListLeadPageAsync(new LeadPageQuery { Statuses = new HashSet<LeadStatus> { LeadStatus.Won, LeadStatus.Lost } });
        var search = await store.ListLeadPageAsync(new LeadPageQuery { Search = "ZEPHYR" });
        var byId = await store.ListLeadPageAsync(new LeadPageQuery { Search = "L010" });
        var wildcard = await store.ListLeadPageAsync(new LeadPageQuery { Search = "%" });
        var oldest = await store.ListLeadPageAsync(new LeadPageQuery { Sort = LeadSort.CreatedAscending, Limit = 3 });
        var newest = await store.ListLeadPageAsync(new LeadPageQuery { Sort = LeadSort.CreatedDescending, Limit = 3 });
        var lowest = await store.ListLeadPageAsync(new LeadPageQuery { Sort = LeadSort.ScoreAscending, Limit = 3 });

        var expected = Enumerable.Range(1, DashboardTestKit.Leads).OrderByDescending(DashboardTestKit.ProbabilityOf).Select(DashboardTestKit.Id).ToList();
        first.Items.Select(i => i.Score.LeadId).ShouldBe(expected.Take(50));
        first.HasMore.ShouldBeTrue();
        third.Items.Select(i => i.Score.LeadId).ShouldBe(expected.Skip(100));
        third.HasMore.ShouldBeFalse();
        gradeA.Items.ShouldAllBe(i => i.Score.Grade == "A");
        gradeA.Items.Count.ShouldBe(Enumerable.Range(1, DashboardTestKit.Leads).Count(i => DashboardTestKit.ScoreOf(i) >= 75));
        web.Items.Count.ShouldBe(DashboardTestKit.Leads / 3);
        web.Items.ShouldAllBe(i => i.Source == "web");
        won.Items.Select(i => i.Score.LeadId).ShouldBe(["L003"]);
        lost.Items.Select(i => i.Score.LeadId).ShouldBe(["L004"]);
        open.Items.Count.ShouldBe(DashboardTestKit.Leads - 2);
        closed.Items.Select(i => i.Score.LeadId).Order().ShouldBe(["L003", "L004"]);
        open.Items.ShouldContain(i => i.Score.LeadId == "L005" && i.Status == LeadStatus.Open);
        search.Items.Select(i => i.Company).ShouldBe([DashboardTestKit.SearchCompany]);
        byId.Items.Select(i => i.Score.LeadId).ShouldBe(["L010"]);
        wildcard.Items.ShouldBeEmpty("a % in the search is a character, not a wildcard");
        oldest.Items.Select(i => i.Score.LeadId).ShouldBe(["L001", "L002", "L003"]);
        newest.Items.Select(i => i.Score.LeadId).ShouldBe(["L120", "L119", "L118"]);
        lowest.Items.Select(i => i.Score.LeadId).ShouldBe(expected.AsEnumerable().Reverse().Take(3));
    }

    [Fact]
    public async Task The_leads_route_answers_a_page_with_top_reasons_and_exports_the_current_view_as_guarded_csv()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, seed: async store =>
        {
            await DashboardTestKit.SeedAsync(store);
            await store.UpsertLeadsAsync([TestData.Lead("evil", "=HYPERLINK(\"http://x\")")]);
            await store.SaveScoresAsync([TestData.Score("evil", 100, "A")]);
        });
        var (client, _, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Score));

        var page = await client.GetAsync("/dashboard/api/leads?grade=A&page=1");
        var body = JsonDocument.Parse(await page.Content.ReadAsStringAsync()).RootElement;
        var csv = await client.GetStringAsync("/dashboard/api/leads.csv?grade=A");
        var bad = await client.GetAsync("/dashboard/api/leads?sort=company");

        page.Headers.GetValues("Server-Timing").Single().ShouldStartWith("db;dur=");
        page.Headers.CacheControl!.NoStore.ShouldBeTrue();
        var items = body.GetProperty("items").EnumerateArray().ToList();
        items[0].GetProperty("id").GetString().ShouldBe("evil");
        items[0].GetProperty("top_reason").GetString().ShouldBe("Visited the pricing page 3 times in the last 7 days");
        var lines = csv.TrimEnd('\n').Split('\n');
        lines[0].ShouldBe("lead_id,company,source,score,grade,probability,status,top_reason,created_at,trend_7d");
        lines.Length.ShouldBe(items.Count + 1);
        lines[1].ShouldStartWith("evil,\"'=HYPERLINK(\"\"http://x\"\")\"", customMessage: "the formula is neutralised by the shared CSV writer");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }
}
