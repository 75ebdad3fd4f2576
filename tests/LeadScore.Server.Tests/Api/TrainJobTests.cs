using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Engine.Synthetic;
using LeadScore.Application.Jobs;
using LeadScore.Application.Scoring;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>POST /train runs the real workspace training in the background; GET /jobs/{id} follows it.</summary>
public sealed class TrainJobTests
{
    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Training_runs_as_a_job_and_the_new_champion_serves_scores(string backend)
    {
        var (store, ws, _) = await TestStores.OpenAsync(backend);
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = 500, Seed = 3 });
        await store.UpsertLeadsAsync(data.Leads);
        await store.InsertActivitiesAsync(data.Activities);
        await store.UpsertEnrichmentAsync(data.Enrichment);
        await store.InsertOutcomesAsync(data.Outcomes);
        await using var app = await LeadScoreApplication.StartAsync(store, ws);
        var scoring = app.Service<IScoringService>();
        using var client = await app.AdminClientAsync();

        var badAges = await client.PostAsync("/api/v1/train", new StringContent("""{"decision_ages_days":[14,-3]}""", Encoding.UTF8, "application/json"));
        badAges.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var badBody = await badAges.Content.ReadAsStringAsync();
        badBody.ShouldContain("decision_ages_days", Case.Sensitive, badBody);
        var start = await client.PostAsync("/api/v1/train", new StringContent("""{"algorithm":"logistic","time_budget_seconds":1,"seed":7,"decision_ages_days":[14,30,60]}""", Encoding.UTF8, "application/json"));

        start.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var location = start.Headers.Location!.ToString();
        location.ShouldStartWith("/api/v1/jobs/job_");
        JsonElement job;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            await Task.Delay(200);
            job = JsonDocument.Parse(await client.GetStringAsync(location)).RootElement;
        } while (job.GetProperty("status").GetString() is "queued" or "running" && DateTime.UtcNow < deadline);

        job.GetProperty("status").GetString().ShouldBe("succeeded", job.ToString());
        job.GetProperty("progress").GetDouble().ShouldBe(1);
        var result = job.GetProperty("result");
        result.GetProperty("version").GetString().ShouldBe("v1");
        result.GetProperty("promoted").GetBoolean().ShouldBeTrue();
        scoring.ChampionVersion.ShouldBe("v1");
        var card = JsonDocument.Parse(await client.GetStringAsync("/api/v1/models/v1")).RootElement.ToString();
        card.ShouldContain("time split by lead");
        card.ShouldContain("14, 30, 60 days");
        var lead = data.Leads[0];
        var score = await client.PostAsync("/api/v1/score", new StringContent(
            JsonSerializer.Serialize(new { id = lead.Id, attributes = lead.Attributes }), Encoding.UTF8, "application/json"));
        score.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await score.Content.ReadAsStringAsync()).ShouldContain("\"model_version\":\"v1\"");
    }

    private static async Task<JsonElement> RunJobAsync(HttpClient client, string body)
    {
        var start = await client.PostAsync("/api/v1/train", new StringContent(body, Encoding.UTF8, "application/json"));
        start.StatusCode.ShouldBe(HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var location = start.Headers.Location!.ToString();
        JsonElement job;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        do
        {
            await Task.Delay(200);
            job = JsonDocument.Parse(await client.GetStringAsync(location)).RootElement;
        } while (job.GetProperty("status").GetString() is "queued" or "running" && DateTime.UtcNow < deadline);
        job.GetProperty("status").GetString().ShouldBe("succeeded", job.ToString());
        return job.GetProperty("result");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Horizon_days_given_to_train_is_recorded_in_the_card_and_carried_by_scores_and_omitted_it_comes_from_the_data(string backend)
    {
        var (store, ws, _) = await TestStores.OpenAsync(backend);
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = 1200, Seed = 3 });
        await store.UpsertLeadsAsync(data.Leads);
        await store.InsertActivitiesAsync(data.Activities);
        await store.UpsertEnrichmentAsync(data.Enrichment);
        await store.InsertOutcomesAsync(data.Outcomes);
        await using var app = await LeadScoreApplication.StartAsync(store, ws);
        using var client = await app.AdminClientAsync();

        var bad = await client.PostAsync("/api/v1/train", new StringContent("""{"horizon_days":0}""", Encoding.UTF8, "application/json"));
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).ShouldContain("horizon_days");

        // Given horizon_days 30
        var given = await RunJobAsync(client, """{"algorithm":"logistic","time_budget_seconds":0,"horizon_days":30}""");
        given.GetProperty("horizon_days").GetDouble().ShouldBe(30);
        var card = JsonDocument.Parse(await client.GetStringAsync("/api/v1/models/v1")).RootElement.GetProperty("card");
        card.GetProperty("horizon_days").GetDouble().ShouldBe(30);
        card.GetProperty("horizon").GetString()!.ShouldStartWith("P(converts within 30 days of the decision time");
        var lead = data.Leads[0];
        var score = await client.PostAsync("/api/v1/score", new StringContent(
            JsonSerializer.Serialize(new { id = lead.Id, attributes = lead.Attributes }), Encoding.UTF8, "application/json"));
        (await score.Content.ReadAsStringAsync()).ShouldContain("\"horizon_days\":30");
        // The stored score (after the re-scoring job) reads the horizon from its model's card
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement stored;
        do
        {
            await Task.Delay(200);
            stored = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/leads/{lead.Id}")).RootElement;
        } while (stored.GetProperty("score").ValueKind == JsonValueKind.Null && DateTime.UtcNow < deadline);
        stored.GetProperty("score").GetProperty("horizon_days").GetDouble().ShouldBe(30);

        // Omitted: the data's default, a whole number of weeks of at least one
        var omitted = await RunJobAsync(client, """{"algorithm":"logistic","time_budget_seconds":0}""");
        var h = omitted.GetProperty("horizon_days").GetDouble();
        h.ShouldBeGreaterThanOrEqualTo(7);
        (h % 7).ShouldBe(0);
    }
}
