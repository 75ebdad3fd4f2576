using System.Net;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

public sealed class AuthTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage r)
    {
        r.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Requests_without_a_valid_key_get_401_problem_details(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        using var none = app.CreateClient();
        using var wrong = app.CreateClient("lsk_not-a-real-key");

        var r1 = await none.GetAsync("/api/v1/leads");
        var r2 = await wrong.GetAsync("/api/v1/models");

        r1.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        r1.Headers.WwwAuthenticate.ToString().ShouldContain("X-Api-Key");
        (await ProblemAsync(r1)).GetProperty("field").GetString().ShouldBe("X-Api-Key");
        r2.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_key_without_the_scope_gets_403_naming_the_scope(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        using var scoreOnly = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        var models = await scoreOnly.GetAsync("/api/v1/models");
        var hooks = await scoreOnly.GetAsync("/api/v1/webhooks");
        var leads = await scoreOnly.GetAsync("/api/v1/leads");

        models.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await ProblemAsync(models)).GetProperty("detail").GetString()!.ShouldContain("'admin'");
        hooks.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        leads.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_revoked_key_stops_working(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        var key = await app.CreateKeyAsync(ApiScopes.Score);
        using var client = app.CreateClient(key);
        (await client.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var name = (await app.Store.ListApiKeysAsync()).Single().Name;
        (await app.Store.RevokeApiKeyAsync(name)).ShouldBeTrue();

        (await client.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Keys_are_accepted_as_bearer_tokens_and_cached()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, o => o.ApiKeyCacheTtl = TimeSpan.FromMinutes(5));
        var key = await app.CreateKeyAsync(ApiScopes.Score);
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        (await client.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Within the cache time a revoked key still works (documented trade-off for a DB-free hot path).
        await app.Store.RevokeApiKeyAsync((await app.Store.ListApiKeysAsync()).Single().Id);
        (await client.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Over_the_rate_limit_a_key_gets_429_with_retry_after_and_other_keys_are_unaffected(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, o =>
        {
            o.RateLimit.PermitsPerSecond = 1;
            o.RateLimit.Burst = 3;
        });
        using var a = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));
        using var b = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        var codes = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        // One permit a second after a burst of three: the fourth to sixth requests within a second are refused; on a slow
        // machine a token may come back in between, so keep asking (up to 20) until one is.
        for (var i = 0; i < 20 && (i < 6 || limited is null); i++)
        {
            var r = await a.GetAsync("/api/v1/leads");
            codes.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests) limited ??= r;
        }

        codes.Take(3).ShouldAllBe(c => c == HttpStatusCode.OK);
        limited.ShouldNotBeNull();
        limited.Headers.RetryAfter.ShouldNotBeNull();
        limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeGreaterThanOrEqualTo(1);
        (await ProblemAsync(limited)).GetProperty("status").GetInt32().ShouldBe(429);
        (await b.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.CreateClient().GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
