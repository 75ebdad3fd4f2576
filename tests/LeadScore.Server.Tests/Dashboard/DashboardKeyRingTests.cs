using System.Net;
using System.Text.Json;
using LeadScore.Application.Security;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Dashboard;

/// <summary>The dashboard's Data Protection key ring lives in the database: sessions cross instances and restarts.</summary>
public sealed class DashboardKeyRingTests
{
    private static async Task<HttpResponseMessage> GetWithCookiesAsync(LeadScoreApplication app, string path, string cookies, string? csrf = null, HttpMethod? method = null)
    {
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookies);
        if (csrf is not null) request.Headers.Add("X-CSRF-Token", csrf);
        return await client.SendAsync(request);
    }

    /// <summary>Signs in on <paramref name="app"/>; returns the Cookie header the browser would send and the session's CSRF token.</summary>
    private static async Task<(string Cookies, string Csrf)> SignInAsync(LeadScoreApplication app, string key)
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var client = new HttpClient(handler) { BaseAddress = app.BaseAddress };
        var signIn = await client.PostAsync("/dashboard/session",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = key, ["csrf"] = await DashboardTestKit.CsrfAsync(client) }));
        signIn.Headers.Location!.ToString().ShouldBe("/#/leads");
        var csrf = await DashboardTestKit.CsrfAsync(client);
        return (handler.CookieContainer.GetCookieHeader(new Uri(app.BaseAddress, "/dashboard/")), csrf);
    }

    /// <summary>The id of the Data Protection key a session cookie was protected with: a 4-byte magic header, then the key's GUID.</summary>
    private static Guid ProtectingKey(string cookies)
    {
        var value = cookies.Split("; ").Single(c => c.StartsWith("leadscore_session=", StringComparison.Ordinal))["leadscore_session=".Length..];
        var b64 = value.Replace('-', '+').Replace('_', '/');
        var bytes = Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '='));
        return new Guid(bytes.AsSpan(4, 16));
    }

    [Fact]
    public async Task A_session_signed_in_on_one_instance_is_used_on_another_on_the_same_postgresql_database()
    {
        // Given two servers on one PostgreSQL database, in different folders (so different content roots).
        var (storeA, wsA, cs) = await TestStores.OpenAsync(TestStores.Postgres);
        var wsB = TestPaths.NewTempDir("leadscore-ws");
        await using var a = await LeadScoreApplication.StartAsync(storeA, wsA, seed: DashboardTestKit.SeedAsync);
        await using var b = await LeadScoreApplication.StartAsync(await LeadStore.OpenAsync(wsB, cs), wsB);
        // Both instances need a key at the same moment: each may create one, and both must end up in the shared ring.
        await Task.WhenAll(new HttpClient { BaseAddress = a.BaseAddress }.GetAsync("/dashboard/api/session"), new HttpClient { BaseAddress = b.BaseAddress }.GetAsync("/dashboard/api/session"));
        (await a.Service<SharedKeyRing>().ListAsync()).Count.ShouldBeGreaterThanOrEqualTo(1);

        var key = await a.CreateKeyAsync(ApiScopes.Admin);
        var (cookies, csrf) = await SignInAsync(a, key);

        // When the cookie goes to the other instance, it is the same session there, and the first instance's CSRF token is valid there too.
        var session = await GetWithCookiesAsync(b, "/dashboard/api/session", cookies);
        session.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = JsonDocument.Parse(await session.Content.ReadAsStringAsync()).RootElement;
        body.GetProperty("signed_in").GetBoolean().ShouldBeTrue("the session cookie signed in on A is read by B");
        body.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ShouldBe([ApiScopes.Admin]);
        (await GetWithCookiesAsync(b, "/dashboard/api/leads", cookies)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await GetWithCookiesAsync(b, "/dashboard/api/lifecycle", cookies)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var post = await GetWithCookiesAsync(b, "/dashboard/api/models/rollback", cookies, csrf, HttpMethod.Post);
        post.StatusCode.ShouldBe(HttpStatusCode.Conflict, "past the CSRF check: there is no champion to roll back to");
        // The key that protects the cookie is one of the database's (not a file in the home folder both test servers could read).
        var ring = await b.Service<SharedKeyRing>().ListAsync();
        ring.ShouldContain(x => x.Contains($"id=\"{ProtectingKey(cookies)}\"", StringComparison.Ordinal));
        // A cookie from elsewhere is still refused.
        (await GetWithCookiesAsync(b, "/dashboard/api/leads", "leadscore_session=CfDJ8forged")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_session_survives_a_restart_on_the_same_sqlite_workspace()
    {
        var (store, ws, _) = await TestStores.OpenAsync(TestStores.Sqlite);
        var first = await LeadScoreApplication.StartAsync(store, ws, seed: DashboardTestKit.SeedAsync);
        var key = await first.CreateKeyAsync(ApiScopes.Score);
        var (cookies, _) = await SignInAsync(first, key);
        (await GetWithCookiesAsync(first, "/dashboard/api/leads", cookies)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await first.Service<SharedKeyRing>().ListAsync()).ShouldContain(x => x.Contains($"id=\"{ProtectingKey(cookies)}\"", StringComparison.Ordinal));
        await first.StopAsync();
        await store.DisposeAsync();

        await using var second = await LeadScoreApplication.StartAsync(await LeadStore.OpenAsync(ws, null), ws);
        (await GetWithCookiesAsync(second, "/dashboard/api/leads", cookies)).StatusCode.ShouldBe(HttpStatusCode.OK, "the key ring is in the workspace's database");
        (await second.Service<SharedKeyRing>().ListAsync()).Count.ShouldBe(1);
    }
}
