using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>GET/PUT/DELETE /api/v1/grades: grade bands set without retraining, served at once, stored leads re-scored, shown with their source.</summary>
public sealed class GradeBandsApiTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Theory, MemberData(nameof(Backends))]
    public async Task Set_bands_grade_new_scores_and_stored_leads_and_show_their_source_until_reset(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: TestModels.SeedChampionAsync);
        await app.Store.UpsertLeadsAsync(Enumerable.Range(0, 20).Select(i => new Lead
        {
            Id = $"G{i:00}", CreatedAt = TestData.T0, Attributes = new Dictionary<string, string?> { ["visits"] = i.ToString(), ["source"] = "web" },
        }).ToList());
        using var admin = await app.AdminClientAsync();
        async Task<JsonElement> ScoreAsync(int visits) => JsonDocument.Parse(await (await admin.PostAsync("/api/v1/score?explain=false",
            Json($$$"""{"attributes":{"visits":{{{visits}}},"source":"web"}}"""))).Content.ReadAsStringAsync()).RootElement;
        async Task WaitForJobAsync(string id)
        {
            for (var i = 0; i < 600; i++)
            {
                var status = JsonDocument.Parse(await admin.GetStringAsync($"/api/v1/jobs/{id}")).RootElement.GetProperty("status").GetString();
                if (status == "succeeded") return;
                status.ShouldNotBe("failed");
                await Task.Delay(50);
            }
            throw new TimeoutException(id);
        }

        var own = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/grades")).RootElement;
        own.GetProperty("source").GetString().ShouldBe("model");
        own.GetProperty("model_version").GetString().ShouldBe("v1");

        // Given bands that make a middling lead A ...
        var middling = await ScoreAsync(10);
        var edge = middling.GetProperty("probability").GetDouble() - 0.02;
        var put = await admin.PutAsync("/api/v1/grades", Json(JsonSerializer.Serialize(new { a = Math.Round(edge, 4), b = Math.Round(edge / 2, 4), c = Math.Round(edge / 4, 4) })));
        put.StatusCode.ShouldBe(HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        var set = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement;
        await WaitForJobAsync(set.GetProperty("rescore_job").GetString()!);

        // ... new scores and every stored lead grade with them, each grade read on the shown score.
        set.GetProperty("source").GetString().ShouldBe("override");
        (await ScoreAsync(10)).GetProperty("grade").GetString().ShouldBe("A");
        var leads = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/leads?status=all&limit=100")).RootElement.GetProperty("leads").EnumerateArray().ToList();
        leads.Count.ShouldBe(20);
        var a = (int)Math.Round(Math.Round(edge, 4) * 100, MidpointRounding.AwayFromZero);
        foreach (var l in leads)
            (l.GetProperty("grade").GetString() == "A").ShouldBe(l.GetProperty("score").GetInt32() >= a, $"lead {l.GetProperty("lead_id")} scored {l.GetProperty("score")}");
        leads.ShouldContain(l => l.GetProperty("grade").GetString() == "A");
        var history = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/leads/G10/scores")).RootElement.GetProperty("scores");
        history[0].GetProperty("cause").GetString().ShouldBe("grade_bands");
        var model = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/models/v1")).RootElement;
        model.GetProperty("grades_in_effect").GetProperty("source").GetString().ShouldBe("override");
        model.GetProperty("grades_in_effect").GetProperty("description").GetString()!.ShouldContain("the model's own bands were A >= ");

        // Bad bands: a ProblemDetails naming the band, nothing changed.
        var bad = await admin.PutAsync("/api/v1/grades", Json("""{"a":0.2,"b":0.3,"c":0.1}"""));
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).ShouldContain("fall from A to C");
        var missing = await admin.PutAsync("/api/v1/grades", Json("""{"a":0.6,"b":0.3}"""));
        missing.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await missing.Content.ReadAsStringAsync()).ShouldContain("\"c\"");
        var scope = await app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score)).GetAsync("/api/v1/grades");
        scope.StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        // By share: the top 25% of stored leads are A.
        var shares = await admin.PutAsync("/api/v1/grades", Json("""{"shares":[0.25,0.5,0.75]}"""));
        shares.StatusCode.ShouldBe(HttpStatusCode.OK, await shares.Content.ReadAsStringAsync());
        var byShare = JsonDocument.Parse(await shares.Content.ReadAsStringAsync()).RootElement;
        await WaitForJobAsync(byShare.GetProperty("rescore_job").GetString()!);
        byShare.GetProperty("description").GetString()!.ShouldContain("top 25% / 50% / 75%");
        var graded = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/leads?status=all&limit=100")).RootElement.GetProperty("leads").EnumerateArray()
            .Count(l => l.GetProperty("grade").GetString() == "A");
        graded.ShouldBeInRange(5, 6); // 25% of 20, plus a tie at the edge

        var reset = JsonDocument.Parse(await (await admin.DeleteAsync("/api/v1/grades")).Content.ReadAsStringAsync()).RootElement;
        await WaitForJobAsync(reset.GetProperty("rescore_job").GetString()!);
        reset.GetProperty("source").GetString().ShouldBe("model");
        reset.GetProperty("a").GetDouble().ShouldBe(own.GetProperty("a").GetDouble());
        (await ScoreAsync(10)).GetProperty("grade").GetString().ShouldBe(middling.GetProperty("grade").GetString());
    }
}
