using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Server.Tests.Dashboard;
using LeadScore.Storage;
using LeadScore.TestKit;
using Microsoft.Extensions.Options;

namespace LeadScore.Server.Tests.Api;

/// <summary>
/// A real server on a real primary with <c>LeadScore:Storage:ReadReplica</c> naming the real streaming replica test.sh
/// starts (<c>scripts/pg.sh replica</c>): the API's and the dashboard's lists and the exports are read there, writes go
/// to the primary, and with the replica stopped every request is still answered, by the primary. One class, so the
/// pause and the stop of the shared replica are seen by no other test of this assembly.
/// </summary>
public sealed class ReadReplicaApiTests
{
    private static Dictionary<string, string?> Settings(string primary) => new()
    {
        ["LeadScore:Storage:ReadReplica"] = TestReplica.For(primary),
        ["LeadScore:Storage:ReadReplicaMaxLag"] = "01:00:00",
        ["LeadScore:Storage:ReadReplicaCheckInterval"] = "00:00:00.050",
        // A loaded test machine can take seconds to open a connection: a check that timed out would read as "down".
        ["LeadScore:Storage:ReadReplicaCheckTimeout"] = "00:00:30",
    };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    private static async Task<List<string>> ApiListAsync(HttpClient client)
    {
        using var r = await client.GetAsync("/api/v1/leads?sort=score&limit=100&status=all");
        r.StatusCode.ShouldBe(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("leads").EnumerateArray().Select(l => l.GetProperty("lead_id").GetString()!).ToList();
    }

    private static async Task<List<string>> ExportedAsync(HttpClient client)
    {
        using var r = await client.GetAsync("/api/v1/leads/export?status=all");
        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await r.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[0]).ToList();
    }

    private static async Task<List<string>> DashboardListAsync(HttpClient dashboard, string query = "")
    {
        using var r = await dashboard.GetAsync("/dashboard/api/leads" + query);
        r.StatusCode.ShouldBe(HttpStatusCode.OK, await r.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();
    }

    private static async Task<JsonElement> ReadsAsync(HttpClient client) =>
        JsonDocument.Parse(await (await client.GetAsync("/health/ready")).Content.ReadAsStringAsync()).RootElement.GetProperty("reads").Clone();

    [Fact]
    public async Task Lists_and_exports_are_read_from_the_replica_writes_go_to_the_primary_and_a_stopped_replica_fails_no_request()
    {
        var (store, ws, cs) = await TestStores.OpenAsync(TestStores.Postgres);
        await using var app = await LeadScoreApplication.StartAsync(store, ws, settings: Settings(cs!));
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score, ApiScopes.Ingest));
        var (dashboard, _, _) = await DashboardTestKit.SignInAsync(app, await app.CreateKeyAsync(ApiScopes.Score));
        await store.UpsertLeadsAsync([TestData.Lead("L1"), TestData.Lead("L2", "Globex, Inc.")]);
        await store.SaveScoresAsync([TestData.Score("L1", 40, "C"), TestData.Score("L2", 90, "A")]);
        await TestReplica.WaitForReplayAsync();

        (await ApiListAsync(client)).ShouldBe(["L2", "L1"]);
        (await ExportedAsync(client)).ShouldBe(["L1", "L2"]);
        (await DashboardListAsync(dashboard, "?q=globex")).ShouldBe(["L2"]);
        var reads = await ReadsAsync(client);
        reads.GetProperty("target").GetString().ShouldBe("replica");
        reads.GetProperty("replica").GetString().ShouldBe("streaming");

        // Replay paused: a lead written on the primary is not in the lists yet, which shows they come from the replica;
        // a write through the API with the replica configured is stored (on the primary: the replica refuses writes).
        await TestReplica.PauseReplayAsync();
        try
        {
            await store.UpsertLeadsAsync([TestData.Lead("L3", "Initech")]);
            await store.SaveScoresAsync([TestData.Score("L3", 70, "B")]);
            (await client.PostAsync("/api/v1/leads", Json("""{"lead_id":"L4","created_at":"2026-03-01T09:00:00Z","company":"Umbrella"}"""))).StatusCode.ShouldBe(HttpStatusCode.OK);
            await TestReplica.WaitForReceiveAsync();
            (await store.GetLeadAsync("L4")).ShouldNotBeNull();
            (await ApiListAsync(client)).ShouldBe(["L2", "L1"]);
            (await ExportedAsync(client)).ShouldBe(["L1", "L2"]);
            (await DashboardListAsync(dashboard)).ShouldBe(["L2", "L1"]);
            // A lead's own page reads its own writes: the primary.
            (await client.GetAsync("/api/v1/leads/L3")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            await TestReplica.ResumeReplayAsync();
        }
        await TestReplica.WaitForReplayAsync();
        (await ApiListAsync(client)).ShouldBe(["L2", "L3", "L1"]);
        (await ExportedAsync(client)).ShouldBe(["L1", "L2", "L3", "L4"]);

        await TestReplica.StopAsync();
        try
        {
            await store.SaveScoresAsync([TestData.Score("L4", 95, "A")]);
            // Every request answered while the replica is gone, with what the primary holds now.
            for (var i = 0; i < 5; i++)
            {
                (await ApiListAsync(client)).ShouldBe(["L4", "L2", "L3", "L1"]);
                (await ExportedAsync(client)).ShouldBe(["L1", "L2", "L3", "L4"]);
                (await DashboardListAsync(dashboard)).ShouldBe(["L4", "L2", "L3", "L1"]);
            }
            var down = await ReadsAsync(client);
            down.GetProperty("target").GetString().ShouldBe("primary");
            down.GetProperty("replica").GetString().ShouldBe("down");
        }
        finally
        {
            await TestReplica.StartAsync();
        }

        // Back: the replica serves the lists again once a check finds it streaming (every 50 ms here).
        JsonElement again;
        var tries = 0;
        do
        {
            (await ApiListAsync(client)).ShouldBe(["L4", "L2", "L3", "L1"]);
            await Task.Delay(60);
            again = await ReadsAsync(client);
        } while (again.GetProperty("target").GetString() != "replica" && ++tries < 200);
        again.GetProperty("target").GetString().ShouldBe("replica", again.GetRawText());
        dashboard.Dispose();
    }

    [Fact]
    public async Task Without_a_replica_the_store_serves_the_lists_and_ready_says_so()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = app.CreateClient();
        var reads = await ReadsAsync(client);
        reads.GetProperty("target").GetString().ShouldBe("primary");
        reads.GetProperty("replica").GetString().ShouldBe("none");
        app.Service<ILaggingReads>().ShouldBeOfType<StoreReads>();
    }

    [Theory]
    [InlineData(TestStores.Sqlite, "Host=127.0.0.1;Port=15432", "needs a PostgreSQL primary")]
    [InlineData(TestStores.Postgres, "not a connection string", "is not a PostgreSQL connection string")]
    [InlineData(TestStores.Postgres, "Port=15432;Database=x", "names no Host")]
    public async Task A_server_with_a_replica_setting_it_cannot_use_does_not_start_and_says_why(string backend, string replica, string reason)
    {
        var ex = await Should.ThrowAsync<OptionsValidationException>(() =>
            LeadScoreApplication.StartAsync(backend, settings: new Dictionary<string, string?> { ["LeadScore:Storage:ReadReplica"] = replica }));
        ex.Message.ShouldContain("LeadScore:Storage:ReadReplica");
        ex.Message.ShouldContain(reason);
    }

    [Fact]
    public async Task A_negative_lag_bound_is_refused_at_start()
    {
        var ex = await Should.ThrowAsync<OptionsValidationException>(() =>
            LeadScoreApplication.StartAsync(TestStores.Sqlite, settings: new Dictionary<string, string?> { ["LeadScore:Storage:ReadReplicaMaxLag"] = "-00:00:01" }));
        ex.Message.ShouldContain("ReadReplicaMaxLag");
    }
}
