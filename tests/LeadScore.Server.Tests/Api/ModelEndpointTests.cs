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
        await TestData.SaveModelAsync(app.Store, "1", 0.79);
        await TestData.SaveModelAsync(app.Store, "2", 0.81);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Admin));

        var noChampion = await client.PostAsync("/api/v1/models/rollback", null);
        var p1 = await client.PostAsync("/api/v1/models/1/promote", null);
        var p2 = JsonDocument.Parse(await (await client.PostAsync("/api/v1/models/2/promote", null)).Content.ReadAsStringAsync()).RootElement;
        var list = JsonDocument.Parse(await client.GetStringAsync("/api/v1/models")).RootElement;
        var show = JsonDocument.Parse(await client.GetStringAsync("/api/v1/models/2")).RootElement;
        var rollback = JsonDocument.Parse(await (await client.PostAsync("/api/v1/models/rollback", null)).Content.ReadAsStringAsync()).RootElement;

        noChampion.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        p1.StatusCode.ShouldBe(HttpStatusCode.OK);
        p2.GetProperty("champion").GetString().ShouldBe("2");
        p2.GetProperty("previous").GetString().ShouldBe("1");
        list.GetProperty("champion").GetString().ShouldBe("2");
        list.GetProperty("models").GetArrayLength().ShouldBe(2);
        show.GetProperty("model").GetProperty("auc").GetDouble().ShouldBe(0.81);
        show.GetProperty("card").GetProperty("metrics").GetProperty("auc").GetDouble().ShouldBe(0.81);
        rollback.GetProperty("champion").GetString().ShouldBe("1");
        (await app.Store.GetAliasAsync(ModelAliases.Champion)).ShouldBe("1");
        (await client.GetAsync("/api/v1/models/9")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.PostAsync("/api/v1/models/9/promote", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Training_without_a_trainer_is_503_and_unknown_jobs_are_404()
    {
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Admin));

        var train = await client.PostAsync("/api/v1/train", new StringContent("""{"algorithm":"lightgbm"}""", Encoding.UTF8, "application/json"));
        var bad = await client.PostAsync("/api/v1/train", new StringContent("""{"algorithm":"magic"}""", Encoding.UTF8, "application/json"));
        var job = await client.GetAsync("/api/v1/jobs/job_nope");

        train.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).ShouldContain("\"algorithm\"");
        job.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
