using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>The store's part of the governance fixes, on both backends: who queued a job, and cancelling a lead's queued deliveries.</summary>
public sealed class GovernanceStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task A_job_keeps_who_queued_it_through_claim_and_completion(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.EnqueueJobAsync(new JobRecord { Id = "j1", Kind = "rescore", Status = JobStatus.Queued, RequestJson = "{}", CreatedAt = T0, QueuedBy = "api:crm" });
        await store.EnqueueJobAsync(new JobRecord { Id = "j0", Kind = "rescore", Status = JobStatus.Queued, RequestJson = "{}", CreatedAt = T0 });

        var claimed = await store.ClaimJobAsync("i1", T0.AddSeconds(1), TimeSpan.FromMinutes(1), "j1");

        claimed!.QueuedBy.ShouldBe("api:crm");
        (await store.GetJobAsync("j1"))!.QueuedBy.ShouldBe("api:crm");
        (await store.GetJobAsync("j0"))!.QueuedBy.ShouldBeNull("a job queued before the column existed names nobody");
        (await store.ListJobsAsync(JobStatus.Running)).Single().QueuedBy.ShouldBe("api:crm");
    }

    [Theory, MemberData(nameof(TestStores.Backends), MemberType = typeof(TestStores))]
    public async Task Cancelling_a_leads_deliveries_touches_only_its_pending_ones_and_keeps_the_reason(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        await store.SaveWebhookAsync(new Webhook { Id = "wh1", Url = "http://x", Rule = WebhookRule.BecameA, Secret = "s", CreatedAt = T0 });
        await store.EnqueueDeliveriesAsync([new NewDelivery("wh1", "e", "L1", "{}"), new NewDelivery("wh1", "e", "L1", "{}"), new NewDelivery("wh1", "e", "L2", "{}")]);
        var now = DateTimeOffset.UtcNow.AddSeconds(1);
        var first = (await store.ListDeliveriesAsync("wh1", 10)).Last();
        await store.RecordAttemptAsync(first.Id, new DeliveryAttempt(now, DeliveryStatus.Delivered, now, 200, null));

        var cancelled = await store.CancelPendingDeliveriesOfLeadAsync("L1", "opted out", now);
        var log = await store.ListDeliveriesAsync("wh1", 10);

        cancelled.ShouldBe(1, "the delivered one stays delivered");
        log.Select(d => (d.LeadId, d.Status)).ShouldBe([("L2", DeliveryStatus.Pending), ("L1", DeliveryStatus.Cancelled), ("L1", DeliveryStatus.Delivered)]);
        log[1].LastError.ShouldBe("opted out");
        (await store.ClaimDueDeliveriesAsync(now.AddMinutes(1), now.AddMinutes(2), 10)).Select(d => d.LeadId).ShouldBe(["L2"], "a cancelled delivery is never sent");
        (await store.CountDeliveriesAsync())[DeliveryStatus.Cancelled].ShouldBe(1);
    }
}
