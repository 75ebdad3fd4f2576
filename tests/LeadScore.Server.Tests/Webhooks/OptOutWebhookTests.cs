using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Governance;
using LeadScore.Application.Webhooks;
using LeadScore.Core;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Webhooks;

/// <summary>
/// Deliveries already queued for a lead that then opts out of profiling are cancelled (with the reason kept), and those of an
/// erased lead are gone; a delivery that reaches the sender after the opt-out is cancelled there. Against a real receiver.
/// </summary>
public sealed class OptOutWebhookTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private static async Task<List<JsonElement>> DeliveriesAsync(HttpClient client, string hookId) =>
        [.. JsonDocument.Parse(await client.GetStringAsync($"/api/v1/webhooks/{hookId}/deliveries")).RootElement.GetProperty("deliveries").EnumerateArray()];

    /// <summary>Polls the delivery log until <paramref name="done"/> holds for the lead's delivery (the sender works in the background).</summary>
    private static async Task<JsonElement> WaitForAsync(HttpClient client, string hookId, string leadId, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var d = (await DeliveriesAsync(client, hookId)).FirstOrDefault(x => x.GetProperty("lead_id").GetString() == leadId);
            if (d.ValueKind != JsonValueKind.Undefined && done(d)) return d;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the delivery for {leadId} never reached the state: {d}");
            await Task.Delay(50);
        }
    }

    private static NewDelivery For(string hookId, string leadId) => new(hookId, "lead.became_a", leadId, $$"""{"type":"lead.became_a","lead_id":"{{leadId}}"}""");

    [Theory, MemberData(nameof(Backends))]
    public async Task Queued_deliveries_of_a_lead_that_opts_out_are_cancelled_and_those_of_an_erased_lead_are_gone(string backend)
    {
        await using var receiver = await Receiver.StartAsync();
        // A failed send waits an hour before its retry: the deliveries stay queued while the lead opts out.
        await using var app = await LeadScoreApplication.StartAsync(backend, o =>
        {
            o.Webhooks.RetryBaseDelay = TimeSpan.FromHours(1);
            o.Webhooks.RetryMaxDelay = TimeSpan.FromHours(2);
            o.Webhooks.PollInterval = TimeSpan.FromMilliseconds(50);
        });
        using var admin = await app.AdminClientAsync();
        using var privacy = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Privacy));
        var created = await admin.PostAsync("/api/v1/webhooks", Json($$"""{"url":"{{receiver.Url}}","rule":"became_a"}"""));
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var hook = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await app.Store.UpsertLeadsAsync(new[] { "O1", "O2", "O3", "O4" }.Select(id => new Lead { Id = id, CreatedAt = TestData.T0, Attributes = new Dictionary<string, string?> { ["company"] = "Acme" } }).ToList());
        var signal = app.Service<WebhookSignal>();

        // Given deliveries for O1 and O3 that failed once and wait for their retry
        receiver.StatusCode = 500;
        await app.Webhooks.EnqueueDeliveriesAsync([For(hook, "O1"), For(hook, "O3")]);
        signal.Pulse();
        foreach (var id in new[] { "O1", "O3" }) await WaitForAsync(admin, hook, id, d => d.GetProperty("attempts").GetInt32() == 1);

        // When O1 opts out and O3 is erased
        (await privacy.PostAsync("/api/v1/privacy/leads/O1/opt-out", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await privacy.DeleteAsync("/api/v1/privacy/leads/O3")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Then O1's delivery is cancelled with the reason, and O3's is gone
        var o1 = (await DeliveriesAsync(admin, hook)).Single(d => d.GetProperty("lead_id").GetString() == "O1");
        o1.GetProperty("status").GetString().ShouldBe("cancelled");
        o1.GetProperty("last_error").GetString().ShouldBe(PrivacyService.OptedOutReason);
        (await DeliveriesAsync(admin, hook)).ShouldNotContain(d => d.GetProperty("lead_id").GetString() == "O3");
        var optOut = (await app.Service<AuditLog>().ListAsync(action: AuditActions.OptOut, leadId: "O1")).ShouldHaveSingleItem();
        JsonDocument.Parse(optOut.Details).RootElement.GetProperty("webhook_deliveries_cancelled").GetInt32().ShouldBe(1);

        // And a delivery that reaches the sender after its lead opted out (queued by an instance that had not heard yet) is cancelled there
        (await privacy.PostAsync("/api/v1/privacy/leads/O2/opt-out", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        receiver.StatusCode = 200;
        await app.Webhooks.EnqueueDeliveriesAsync([For(hook, "O2")]);
        signal.Pulse();
        var o2 = await WaitForAsync(admin, hook, "O2", d => d.GetProperty("status").GetString() != "pending");
        o2.GetProperty("status").GetString().ShouldBe("cancelled");
        o2.GetProperty("last_error").GetString().ShouldBe(PrivacyService.OptedOutReason);

        // While a lead that did not opt out is still delivered
        await app.Webhooks.EnqueueDeliveriesAsync([For(hook, "O4")]);
        signal.Pulse();
        (await WaitForAsync(admin, hook, "O4", d => d.GetProperty("status").GetString() != "pending")).GetProperty("status").GetString().ShouldBe("delivered");
        // The receiver saw the two failed sends from before the opt-out and erasure, and O4: nothing after them for O1, O2 or O3.
        receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("lead_id").GetString()).Order().ShouldBe(["O1", "O3", "O4"]);
    }
}
