using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>GET/PUT /api/v1/policy and GET /api/v1/models/history on a real server, with scope checks.</summary>
public sealed class LifecycleEndpointTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    [Theory, MemberData(nameof(Backends))]
    public async Task The_policy_is_read_validated_and_replaced_and_the_history_lists_promotions(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        using var admin = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Admin));
        using var scorer = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        // The default policy, version 0.
        var get = await admin.GetAsync("/api/v1/policy");
        get.StatusCode.ShouldBe(HttpStatusCode.OK);
        get.Headers.ETag!.Tag.ShouldBe("\"0\"");
        var policy = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement;
        policy.GetProperty("schedule").GetProperty("every_days").GetDouble().ShouldBe(15);
        policy.GetProperty("gate").EnumerateArray().Select(r => r.GetString()).ShouldContain("auc >= champion + 0.005");

        // A bad field is a 400 naming it; nothing is saved.
        var bad = await admin.PutAsync("/api/v1/policy", Json(policy.GetRawText().Replace("\"shadow\"", "\"canary\"")));
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("errors").TryGetProperty("challenger.mode", out _).ShouldBeTrue(problem.GetRawText());
        var malformed = await admin.PutAsync("/api/v1/policy", Json("{\"schedule\": {\"every_days\": }}"));
        malformed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await malformed.Content.ReadAsStringAsync()).ShouldContain("line 1");
        (await admin.PutAsync("/api/v1/policy", Json(""))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        // A good one is saved with a new version.
        var put = await admin.PutAsync("/api/v1/policy", Json(policy.GetRawText().Replace("\"shadow\"", "\"split\"")));
        put.StatusCode.ShouldBe(HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        put.Headers.ETag!.Tag.ShouldBe("\"1\"");
        JsonDocument.Parse(await admin.GetStringAsync("/api/v1/policy")).RootElement.GetProperty("challenger").GetProperty("mode").GetString().ShouldBe("split");

        // The history lists a promotion with its reason.
        await TestModels.TrainAndRegisterAsync(app.Store, seed: 5);
        await TestModels.TrainAndRegisterAsync(app.Store, seed: 9, trees: 10);
        (await admin.PostAsync("/api/v1/models/v1/promote", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsync("/api/v1/models/v2/promote", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var history = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/models/history")).RootElement;
        var promotion = history.EnumerateArray().Last(e => e.GetProperty("kind").GetString() == "promotion");
        promotion.GetProperty("previous").GetString().ShouldBe("v1");
        promotion.GetProperty("version").GetString().ShouldBe("v2");
        promotion.GetProperty("reason").GetString().ShouldBe("promoted by request");
        promotion.GetProperty("at").GetDateTimeOffset().ShouldBeGreaterThan(DateTimeOffset.UnixEpoch);

        // Admin scope only.
        (await scorer.GetAsync("/api/v1/policy")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await scorer.PutAsync("/api/v1/policy", Json(policy.GetRawText()))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await scorer.GetAsync("/api/v1/models/history")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.CreateClient().GetAsync("/api/v1/models/history")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
