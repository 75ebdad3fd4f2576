using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

public sealed class ModelEndpointTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    [Theory, MemberData(nameof(Backends))]
    public async Task Models_are_listed_shown_promoted_and_rolled_back(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        // Real, servable models registered the way training does (the first becomes champion: move it back off so rollback has none).
        await TestModels.TrainAndRegisterAsync(app.Store, seed: 5);
        await TestModels.TrainAndRegisterAsync(app.Store, seed: 9, trees: 10);
        await TestData.SaveModelAsync(app.Store, "9", 0.99);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Admin));

        var p1 = await client.PostAsync("/api/v1/models/v1/promote", null);
        var p2 = JsonDocument.Parse(await (await client.PostAsync("/api/v1/models/v2/promote", null)).Content.ReadAsStringAsync()).RootElement;
        var broken = await client.PostAsync("/api/v1/models/9/promote", null);
        var list = JsonDocument.Parse(await client.GetStringAsync("/api/v1/models")).RootElement;
        var show = JsonDocument.Parse(await client.GetStringAsync("/api/v1/models/v2")).RootElement;
        var rollback = JsonDocument.Parse(await (await client.PostAsync("/api/v1/models/rollback", null)).Content.ReadAsStringAsync()).RootElement;

        p1.StatusCode.ShouldBe(HttpStatusCode.OK);
        p2.GetProperty("champion").GetString().ShouldBe("v2");
        p2.GetProperty("previous").GetString().ShouldBe("v1");
        p2.GetProperty("rescore_job").GetString()!.ShouldStartWith("job_");
        // A version whose artifact cannot be served is refused (422) and the champion stays.
        broken.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        list.GetProperty("champion").GetString().ShouldBe("v2");
        list.GetProperty("models").GetArrayLength().ShouldBe(3);
        var auc = show.GetProperty("model").GetProperty("auc").GetDouble();
        show.GetProperty("card").GetProperty("metrics").GetProperty("auc").GetDouble().ShouldBe(auc);
        rollback.GetProperty("champion").GetString().ShouldBe("v1");
        (await app.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("v1");
        // The promoting instance serves the new champion at once.
        app.Service<LeadScore.Application.Scoring.IScoringService>().ChampionVersion.ShouldBe("v1");
        (await client.GetAsync("/api/v1/models/v7")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.PostAsync("/api/v1/models/v7/promote", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Rollback_without_a_champion_is_409(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Admin));
        (await client.PostAsync("/api/v1/models/rollback", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_training_job_that_cannot_train_fails_with_its_reason_and_unknown_jobs_are_404()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Admin));

        var train = await client.PostAsync("/api/v1/train", new StringContent("""{"algorithm":"lgbm"}""", Encoding.UTF8, "application/json"));
        var bad = await client.PostAsync("/api/v1/train", new StringContent("""{"algorithm":"magic"}""", Encoding.UTF8, "application/json"));
        var job = await client.GetAsync("/api/v1/jobs/job_nope");

        // The CLI's algorithm aliases are accepted; the empty workspace makes the job fail, saying why.
        train.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        JsonElement state;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(100);
            state = JsonDocument.Parse(await client.GetStringAsync(train.Headers.Location!.ToString())).RootElement;
        } while (state.GetProperty("status").GetString() is "queued" or "running" && DateTime.UtcNow < deadline);
        state.GetProperty("status").GetString().ShouldBe("failed");
        state.GetProperty("message").GetString()!.ShouldContain("no leads");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).ShouldContain("\"algorithm\"");
        job.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
