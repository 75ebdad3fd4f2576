using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Governance;
using LeadScore.Application.Security;
using LeadScore.Core;
using LeadScore.Engine.Synthetic;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Api;

/// <summary>A job keeps who queued it: the audit entries it writes in the server's worker name that API key, and so do the jobs it queues.</summary>
public sealed class JobActorTests
{
    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_training_job_queued_by_a_key_audits_its_promotion_as_that_key_not_as_the_worker(string backend)
    {
        var (store, ws, _) = await TestStores.OpenAsync(backend);
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Leads = 500, Seed = 3 });
        await store.UpsertLeadsAsync(data.Leads);
        await store.InsertActivitiesAsync(data.Activities);
        await store.UpsertEnrichmentAsync(data.Enrichment);
        await store.InsertOutcomesAsync(data.Outcomes);
        await using var app = await LeadScoreApplication.StartAsync(store, ws);
        var (key, record) = ApiKeys.Create("ml-ops", [ApiScopes.Admin], TimeProvider.System.GetUtcNow());
        await store.SaveApiKeyAsync(record);
        using var client = app.CreateClient(key);

        var start = await client.PostAsync("/api/v1/train", new StringContent("""{"algorithm":"logistic","time_budget_seconds":0,"seed":7}""", Encoding.UTF8, "application/json"));
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
        job.GetProperty("queued_by").GetString().ShouldBe("api:ml-ops");
        var result = job.GetProperty("result");
        result.GetProperty("promoted").GetBoolean().ShouldBeTrue();
        var promotion = (await app.Service<AuditLog>().ListAsync(action: AuditActions.Promote)).ShouldHaveSingleItem();
        promotion.TargetId.ShouldBe(result.GetProperty("version").GetString());
        promotion.Actor.ShouldBe("api:ml-ops", "the job ran in the server's worker, for the key that queued it");
        // The re-scoring job the training queued acts for the same key.
        var rescore = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/jobs/{result.GetProperty("rescore_job").GetString()}")).RootElement;
        rescore.GetProperty("queued_by").GetString().ShouldBe("api:ml-ops");
        (await store.GetJobAsync(job.GetProperty("id").GetString()!))!.QueuedBy.ShouldBe("api:ml-ops");
    }
}
