using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Server.Api;
using LeadScore.Storage;
using LeadScore.TestKit;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace LeadScore.Server.Tests.Api;

/// <summary>A database outage answers 503 with Retry-After where the database is needed, and keeps scoring going where it is not (issue 18, item 7).</summary>
public sealed class OutageTests
{
    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    /// <summary>A store on a fresh PostgreSQL database reached through <paramref name="proxy"/>, so the test can cut the network.</summary>
    private static async Task<(ILeadStore Store, string Workspace)> OpenBehindAsync(Func<string, TcpProxy> proxyFor)
    {
        var cs = new NpgsqlConnectionStringBuilder(await TestStores.CreatePostgresDatabaseAsync());
        var proxy = proxyFor(cs.Host!);
        cs.Port.ShouldBeGreaterThan(0);
        var behind = new NpgsqlConnectionStringBuilder(cs.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 5, CommandTimeout = 10 };
        var ws = TestPaths.NewTempDir("leadscore-ws");
        return (await LeadStore.OpenAsync(ws, behind.ConnectionString), ws);
    }

    private static async Task<HttpResponseMessage> UntilAsync(Func<Task<HttpResponseMessage>> send, HttpStatusCode wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var r = await send();
            if (r.StatusCode == wanted || DateTime.UtcNow > deadline) return r;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task During_a_postgres_outage_store_routes_answer_503_with_retry_after_scoring_goes_on_and_all_recovers()
    {
        TcpProxy? proxy = null;
        var (store, ws) = await OpenBehindAsync(host => proxy = new TcpProxy(host, new NpgsqlConnectionStringBuilder(TestStores.PostgresAdminConnectionString).Port));
        await using var _p = proxy!;
        await using var app = await LeadScoreApplication.StartAsync(store, ws, seed: TestModels.SeedChampionAsync);
        var key = await app.CreateKeyAsync(ApiScopes.Score, ApiScopes.Admin);
        var revoked = await app.CreateKeyAsync(ApiScopes.Score);
        using var client = app.CreateClient(key);
        using var revokedClient = app.CreateClient(revoked);
        using var anonymous = app.CreateClient();
        // Given a working server, a key it has seen, and a key it has seen revoked ...
        (await client.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await revokedClient.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Store.RevokeApiKeyAsync((await app.Store.ListApiKeysAsync()).Single(k => revoked.StartsWith(k.Prefix, StringComparison.Ordinal)).Id)).ShouldBeTrue();
        (await revokedClient.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // ... when the database becomes unreachable,
        proxy!.Cut();

        // then store-backed routes answer 503 with Retry-After as ProblemDetails,
        var leads = await client.GetAsync("/api/v1/leads");
        leads.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, await leads.Content.ReadAsStringAsync());
        leads.Headers.RetryAfter.ShouldNotBeNull();
        leads.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var models = await client.GetAsync("/api/v1/models");
        models.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var ingest = await client.PostAsync("/api/v1/webhooks", Json("""{"url":"https://crm.example/h","rule":"became_a"}"""));
        ingest.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        // readiness is a clean 503,
        var ready = await anonymous.GetAsync("/health/ready");
        ready.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        ready.Headers.RetryAfter.ShouldNotBeNull();
        JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("storage").GetBoolean().ShouldBeFalse();
        // scoring, which needs no database, goes on with the key seen before,
        var score = await client.PostAsync("/api/v1/score", Json("""{"attributes":{"visits":3}}"""));
        score.StatusCode.ShouldBe(HttpStatusCode.OK, await score.Content.ReadAsStringAsync());
        // and the revoked key is not brought back by the outage.
        (await revokedClient.PostAsync("/api/v1/score", Json("""{"attributes":{"visits":3}}"""))).StatusCode.ShouldNotBe(HttpStatusCode.OK);

        // When the database is back, everything works again.
        proxy.Restore();
        (await UntilAsync(() => client.GetAsync("/api/v1/leads"), HttpStatusCode.OK)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await UntilAsync(() => anonymous.GetAsync("/health/ready"), HttpStatusCode.OK)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_wrong_key_seen_recently_is_refused_from_the_cache_without_asking_the_database()
    {
        TcpProxy? proxy = null;
        var (store, ws) = await OpenBehindAsync(host => proxy = new TcpProxy(host, new NpgsqlConnectionStringBuilder(TestStores.PostgresAdminConnectionString).Port));
        await using var _p = proxy!;
        await using var app = await LeadScoreApplication.StartAsync(store, ws, o => o.ApiKeyCacheTtl = TimeSpan.FromMinutes(5));
        using var wrong = app.CreateClient("lsk_wrong-key-seen-before");
        using var other = app.CreateClient("lsk_wrong-key-never-seen");
        (await wrong.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // With the database gone, a lookup would fail (503); the remembered answer needs none.
        proxy!.Cut();

        (await wrong.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await other.GetAsync("/api/v1/leads")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public void Busy_and_unreachable_databases_are_outages_and_other_errors_are_not()
    {
        StoreOutage.Is(new SqliteException("database is locked", 5)).ShouldBeTrue();
        StoreOutage.Is(new SqliteException("constraint failed", 19)).ShouldBeFalse();
        StoreOutage.Is(new InvalidOperationException("wrapped", new System.Net.Sockets.SocketException(111))).ShouldBeTrue();
        StoreOutage.Is(new NpgsqlException("broken", new IOException("reset"))).ShouldBeTrue();
        StoreOutage.Is(new TimeoutException()).ShouldBeTrue();
        StoreOutage.Is(new InvalidOperationException("a bug")).ShouldBeFalse();
    }
}
