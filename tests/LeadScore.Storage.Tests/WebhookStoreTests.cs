using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Storage.Tests;

/// <summary>The persisted webhook delivery queue, on both backends.</summary>
public sealed class WebhookStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Backends => TestStores.Backends;

    [Theory, MemberData(nameof(Backends))]
    public async Task Concurrent_claims_never_hand_out_a_delivery_twice_and_leases_expire(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var hooks = (IWebhookStore)store;
        await hooks.SaveWebhookAsync(new Webhook { Id = "wh1", Url = "http://127.0.0.1:9/x", Rule = WebhookRule.BecameA, Secret = "s", CreatedAt = T0 });
        await hooks.EnqueueDeliveriesAsync(Enumerable.Range(0, 40).Select(i => new NewDelivery("wh1", "lead.became_a", $"L{i}", $"{{\"n\":{i}}}")).ToList());
        var now = DateTimeOffset.UtcNow.AddSeconds(1);

        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => hooks.ClaimDueDeliveriesAsync(now, now.AddMinutes(1), 15)));
        var claimed = claims.SelectMany(c => c).Select(d => d.Id).ToList();
        var duringLease = await hooks.ClaimDueDeliveriesAsync(now.AddSeconds(30), now.AddMinutes(2), 100);
        var afterLease = await hooks.ClaimDueDeliveriesAsync(now.AddMinutes(1), now.AddMinutes(3), 100);

        claimed.Count.ShouldBe(40);
        claimed.Distinct().Count().ShouldBe(40);
        duringLease.ShouldBeEmpty();
        afterLease.Count.ShouldBe(40, "a lease that was never reported back expires and the delivery is due again");
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Attempts_are_recorded_and_counted_by_status(string backend)
    {
        var (store, _, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        var hooks = (IWebhookStore)store;
        await hooks.SaveWebhookAsync(new Webhook { Id = "wh1", Url = "http://x", Rule = WebhookRule.ScoreCrossed, Threshold = 70, Secret = "s", CreatedAt = T0 });
        await hooks.EnqueueDeliveriesAsync([new NewDelivery("wh1", "e", "L1", "{}"), new NewDelivery("wh1", "e", "L2", "{}"), new NewDelivery("wh1", "e", "L3", "{}")]);
        var now = DateTimeOffset.UtcNow.AddSeconds(1);
        var d = await hooks.ClaimDueDeliveriesAsync(now, now.AddMinutes(1), 10);

        await hooks.RecordAttemptAsync(d[0].Id, new DeliveryAttempt(now, DeliveryStatus.Delivered, now, 200, null));
        await hooks.RecordAttemptAsync(d[1].Id, new DeliveryAttempt(now, DeliveryStatus.Parked, now, 500, "receiver answered 500"));
        await hooks.RecordAttemptAsync(d[2].Id, new DeliveryAttempt(now, DeliveryStatus.Pending, now.AddSeconds(5), null, "timeout"));
        var counts = await hooks.CountDeliveriesAsync();
        var log = await hooks.ListDeliveriesAsync("wh1", 10);
        var requeued = await hooks.RequeueParkedAsync("wh1", now);

        counts[DeliveryStatus.Delivered].ShouldBe(1);
        counts[DeliveryStatus.Parked].ShouldBe(1);
        counts[DeliveryStatus.Pending].ShouldBe(1);
        log.Select(x => x.LeadId).ShouldBe(["L3", "L2", "L1"]);
        log[1].LastError.ShouldBe("receiver answered 500");
        log[2].DeliveredAt.ShouldNotBeNull();
        log[0].NextAttemptAt.ShouldBe(DateTimeOffset.FromUnixTimeMilliseconds(now.AddSeconds(5).ToUnixTimeMilliseconds()));
        requeued.ShouldBe(1);
        (await hooks.GetWebhookAsync("wh1"))!.Threshold.ShouldBe(70);
        (await hooks.DeleteWebhookAsync("wh1")).ShouldBeTrue();
        (await hooks.ListWebhooksAsync()).ShouldBeEmpty();
    }
}
