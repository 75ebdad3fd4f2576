using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>POST /score and /score/batch with a real trained champion and the real scoring service.</summary>
public sealed class ScoringEndpointTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    [Theory, MemberData(nameof(Backends))]
    public async Task A_lead_is_scored_with_reasons_and_ready_reports_the_champion(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: TestModels.SeedChampionAsync);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        var hot = await client.PostAsync("/api/v1/score", Json("""{"id":"hot","attributes":{"visits":18,"source":"event"}}"""));
        var cold = JsonDocument.Parse(await (await client.PostAsync("/api/v1/score?explain=false", Json("""{"attributes":{"visits":1,"source":"web"}}"""))).Content.ReadAsStringAsync()).RootElement;
        var ready = await app.CreateClient().GetAsync("/health/ready");

        hot.StatusCode.ShouldBe(HttpStatusCode.OK);
        var h = JsonDocument.Parse(await hot.Content.ReadAsStringAsync()).RootElement;
        h.GetProperty("lead_id").GetString().ShouldBe("hot");
        h.GetProperty("model_version").GetString().ShouldBe("v1");
        h.GetProperty("score").GetInt32().ShouldBeGreaterThan(cold.GetProperty("score").GetInt32());
        h.GetProperty("probability").GetDouble().ShouldBeInRange(0, 1);
        "ABCD".ShouldContain(h.GetProperty("grade").GetString()!);
        var reasons = h.GetProperty("reasons");
        reasons.GetArrayLength().ShouldBeGreaterThan(0);
        reasons.EnumerateArray().Select(r => r.GetProperty("feature").GetString()).ShouldContain("visits");
        cold.TryGetProperty("reasons", out _).ShouldBeFalse();
        ready.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ready.Content.ReadAsStringAsync()).ShouldContain("\"champion\":\"v1\"");
        (await app.CreateClient(await app.CreateKeyAsync(ApiScopes.Metrics)).GetStringAsync("/metrics")).ShouldContain("leadscore_model_info{version=\"v1\"} 1");
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_batch_scores_every_lead_in_order(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: TestModels.SeedChampionAsync);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));
        var leads = Enumerable.Range(0, 50).Select(i => "{\"id\":\"b" + i + "\",\"attributes\":{\"visits\":" + (i % 20) + ",\"source\":\"web\"}}");

        var r = await client.PostAsync("/api/v1/score/batch?explain=false", Json("{\"leads\":[" + string.Join(",", leads) + "]}"));

        r.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        body.GetProperty("scored").GetInt32().ShouldBe(50);
        body.GetProperty("failed").GetInt32().ShouldBe(0);
        var results = body.GetProperty("results");
        results.GetArrayLength().ShouldBe(50);
        results[7].GetProperty("index").GetInt32().ShouldBe(7);
        results[7].GetProperty("result").GetProperty("lead_id").GetString().ShouldBe("b7");
        results[19].GetProperty("result").GetProperty("score").GetInt32().ShouldBeGreaterThan(results[0].GetProperty("result").GetProperty("score").GetInt32());
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Promoting_swaps_the_model_that_serves_scores_and_rescores_stored_leads(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: TestModels.SeedChampionAsync);
        await TestModels.TrainAndRegisterAsync(app.Store, seed: 11, trees: 5);
        await app.Store.UpsertLeadsAsync([new Lead { Id = "S1", CreatedAt = TestData.T0, Attributes = new Dictionary<string, string?> { ["visits"] = "12", ["source"] = "web" } }]);
        using var admin = await app.AdminClientAsync();
        async Task<string> VersionAsync() => JsonDocument.Parse(await (await admin.PostAsync("/api/v1/score", Json("""{"attributes":{"visits":5}}"""))).Content.ReadAsStringAsync())
            .RootElement.GetProperty("model_version").GetString()!;
        async Task WaitForJobAsync(string id)
        {
            for (var i = 0; i < 200; i++)
            {
                var status = JsonDocument.Parse(await admin.GetStringAsync($"/api/v1/jobs/{id}")).RootElement.GetProperty("status").GetString();
                if (status == "succeeded") return;
                status.ShouldNotBe("failed");
                await Task.Delay(50);
            }
            throw new TimeoutException(id);
        }

        var before = await VersionAsync();
        var promote = JsonDocument.Parse(await (await admin.PostAsync("/api/v1/models/v2/promote", null)).Content.ReadAsStringAsync()).RootElement;
        var after = await VersionAsync();
        await WaitForJobAsync(promote.GetProperty("rescore_job").GetString()!);
        var history = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/leads/S1/scores")).RootElement.GetProperty("scores");
        var rollback = JsonDocument.Parse(await (await admin.PostAsync("/api/v1/models/rollback", null)).Content.ReadAsStringAsync()).RootElement;
        var rolledBack = await VersionAsync();
        await WaitForJobAsync(rollback.GetProperty("rescore_job").GetString()!);
        var latest = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/leads/S1")).RootElement.GetProperty("score");

        before.ShouldBe("v1");
        after.ShouldBe("v2");
        history.GetArrayLength().ShouldBe(1);
        history[0].GetProperty("model_version").GetString().ShouldBe("v2");
        history[0].GetProperty("cause").GetString().ShouldBe("new_model");
        rolledBack.ShouldBe("v1");
        latest.GetProperty("model_version").GetString().ShouldBe("v1");
    }
}
