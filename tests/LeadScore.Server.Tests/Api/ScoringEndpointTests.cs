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
        await using var app = await LeadScoreApplication.StartAsync(backend, parts: TestModels.PartsWithChampionAsync);
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
        (await app.CreateClient().GetStringAsync("/metrics")).ShouldContain("leadscore_model_info{version=\"v1\"} 1");
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task A_batch_scores_every_lead_in_order(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, parts: TestModels.PartsWithChampionAsync);
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
    public async Task Promoting_swaps_the_model_that_serves_scores(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, parts: TestModels.PartsWithChampionAsync);
        await TestModels.TrainAndRegisterAsync(app.Store, seed: 11, trees: 5);
        using var admin = await app.AdminClientAsync();
        async Task<string> VersionAsync() => JsonDocument.Parse(await (await admin.PostAsync("/api/v1/score", Json("""{"attributes":{"visits":5}}"""))).Content.ReadAsStringAsync())
            .RootElement.GetProperty("model_version").GetString()!;

        var before = await VersionAsync();
        (await admin.PostAsync("/api/v1/models/v2/promote", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var after = await VersionAsync();
        (await admin.PostAsync("/api/v1/models/rollback", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var rolledBack = await VersionAsync();

        before.ShouldBe("v1");
        after.ShouldBe("v2");
        rolledBack.ShouldBe("v1");
    }
}
