using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LeadScore.Core;
using LeadScore.Application.Webhooks;
using LeadScore.Server.Webhooks;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Webhooks;

/// <summary>Webhooks end to end against a real HTTP receiver on loopback.</summary>
public sealed class WebhookDeliveryTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private static async Task<(string Id, string Secret)> CreateHookAsync(HttpClient client, string url, string rule, int? threshold = null)
    {
        var body = threshold is { } t ? $$"""{"url":"{{url}}","rule":"{{rule}}","threshold":{{t}}}""" : $$"""{"url":"{{url}}","rule":"{{rule}}"}""";
        var r = await client.PostAsync("/api/v1/webhooks", Json(body));
        r.StatusCode.ShouldBe(HttpStatusCode.Created);
        var hook = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        return (hook.GetProperty("id").GetString()!, hook.GetProperty("secret").GetString()!);
    }

    private static async Task<JsonElement> DeliveriesAsync(HttpClient client, string hookId) =>
        JsonDocument.Parse(await client.GetStringAsync($"/api/v1/webhooks/{hookId}/deliveries")).RootElement.GetProperty("deliveries");

    private static async Task<JsonElement> WaitForDeliveryAsync(HttpClient client, string hookId, string status, int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var d = await DeliveriesAsync(client, hookId);
            if (d.GetArrayLength() >= count && d.EnumerateArray().Take(count).All(x => x.GetProperty("status").GetString() == status)) return d;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"deliveries of {hookId} never reached '{status}': {d}");
            await Task.Delay(50);
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Webhooks_are_registered_validated_listed_and_deleted(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        using var client = await app.AdminClientAsync();

        var (id, secret) = await CreateHookAsync(client, "https://crm.example/hooks", "score_crossed", 70);
        var badRule = await client.PostAsync("/api/v1/webhooks", Json("""{"url":"https://crm.example","rule":"became_hot"}"""));
        var badUrl = await client.PostAsync("/api/v1/webhooks", Json("""{"url":"ftp://crm.example","rule":"became_a"}"""));
        var noThreshold = await client.PostAsync("/api/v1/webhooks", Json("""{"url":"https://crm.example","rule":"score_crossed"}"""));
        var list = JsonDocument.Parse(await client.GetStringAsync("/api/v1/webhooks")).RootElement.GetProperty("webhooks");
        var one = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/webhooks/{id}")).RootElement;

        secret.ShouldStartWith("whsec_");
        (await badRule.Content.ReadAsStringAsync()).ShouldContain("\"rule\"");
        badRule.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await badUrl.Content.ReadAsStringAsync()).ShouldContain("\"url\"");
        (await noThreshold.Content.ReadAsStringAsync()).ShouldContain("\"threshold\"");
        list.GetArrayLength().ShouldBe(1);
        one.GetProperty("threshold").GetInt32().ShouldBe(70);
        one.TryGetProperty("secret", out _).ShouldBeFalse();
        (await client.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await client.DeleteAsync($"/api/v1/webhooks/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.GetAsync($"/api/v1/webhooks/{id}/deliveries")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Ingesting_data_rescores_the_lead_and_delivers_signed_events_to_the_receiver(string backend)
    {
        await using var receiver = await Receiver.StartAsync();
        await using var app = await LeadScoreApplication.StartAsync(backend, seed: TestModels.SeedChampionAsync);
        using var client = await app.AdminClientAsync();
        async Task<int> ScoreOfAsync(string attrs) => JsonDocument.Parse(await (await client.PostAsync("/api/v1/score?explain=false", Json($$"""{"attributes":{{attrs}}}"""))).Content.ReadAsStringAsync())
            .RootElement.GetProperty("score").GetInt32();
        var cold = await ScoreOfAsync("""{"visits":1,"source":"web"}""");
        var hot = await ScoreOfAsync("""{"visits":19,"source":"event"}""");
        hot.ShouldBeGreaterThan(cold + 1);
        var threshold = (cold + hot + 1) / 2;
        var (crossed, secret) = await CreateHookAsync(client, receiver.Url, "score_crossed", threshold);

        // Given a stored cold lead ...
        var first = await client.PostAsync("/api/v1/leads", Json("""{"lead_id":"L1","created_at":"2026-03-01T09:00:00Z","visits":"1","source":"web"}"""));
        // ... when it warms up.
        var second = await client.PostAsync("/api/v1/leads", Json("""[{"lead_id":"L1","created_at":"2026-03-01T09:00:00Z","visits":"19","source":"event","company":"Initech"}]"""));

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        var s1 = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        s1.GetProperty("inserted").GetInt64().ShouldBe(1);
        s1.GetProperty("rescored").GetInt32().ShouldBe(1);
        s1.GetProperty("webhooks_queued").GetInt32().ShouldBe(0);
        var s2 = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement;
        s2.GetProperty("updated").GetInt64().ShouldBe(1);
        s2.GetProperty("webhooks_queued").GetInt32().ShouldBe(1);

        await receiver.WaitForAsync(1);
        var got = receiver.Requests.Single();
        got.Headers["Content-Type"].ShouldStartWith("application/json");
        got.Headers[WebhookSignature.EventHeader].ShouldBe("lead.score_crossed");
        WebhookSignature.Verify(secret, got.Body, got.Headers[WebhookSignature.Header]).ShouldBeTrue();
        var evt = JsonDocument.Parse(got.Body).RootElement;
        evt.GetProperty("type").GetString().ShouldBe("lead.score_crossed");
        evt.GetProperty("lead_id").GetString().ShouldBe("L1");
        evt.GetProperty("status").GetString().ShouldBe("open", "every stored-lead output says whether the lead is open, won or lost");
        evt.GetProperty("company").GetString().ShouldBe("Initech");
        evt.GetProperty("webhook_id").GetString().ShouldBe(crossed);
        evt.GetProperty("direction").GetString().ShouldBe("up");
        evt.GetProperty("threshold").GetInt32().ShouldBe(threshold);
        evt.GetProperty("previous").GetProperty("score").GetInt32().ShouldBe(cold);
        evt.GetProperty("current").GetProperty("score").GetInt32().ShouldBe(hot);
        evt.GetProperty("current").GetProperty("cause").GetString().ShouldBe("new_data");

        var log = await WaitForDeliveryAsync(client, crossed, "delivered");
        log[0].GetProperty("attempts").GetInt32().ShouldBe(1);
        log[0].GetProperty("last_status_code").GetInt32().ShouldBe(200);

        var lead = JsonDocument.Parse(await client.GetStringAsync("/api/v1/leads/L1")).RootElement;
        lead.GetProperty("score").GetProperty("score").GetInt32().ShouldBe(hot);
        JsonDocument.Parse(await client.GetStringAsync("/api/v1/leads/L1/scores")).RootElement.GetProperty("scores").GetArrayLength().ShouldBe(2);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Ingestion_reports_rejected_items_with_index_and_field(string backend)
    {
        await using var app = await LeadScoreApplication.StartAsync(backend);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Ingest));

        var mixed = await client.PostAsync("/api/v1/activities", Json("""
            [{"lead_id":"L1","type":"page_view","timestamp":"2026-03-01T10:00:00Z","url":"/pricing"},
             {"lead_id":"L1","type":"page_view","timestamp":"not a date"},
             7]
            """));
        var allBad = await client.PostAsync("/api/v1/outcomes", Json("""{"lead_id":"L1","outcome":"maybe","date":"2026-03-02"}"""));
        var notJson = await client.PostAsync("/api/v1/leads", Json("[{"));
        var scalar = await client.PostAsync("/api/v1/enrichment", Json("\"acme.com\""));

        mixed.StatusCode.ShouldBe(HttpStatusCode.OK);
        var m = JsonDocument.Parse(await mixed.Content.ReadAsStringAsync()).RootElement;
        m.GetProperty("received").GetInt64().ShouldBe(3);
        m.GetProperty("accepted").GetInt64().ShouldBe(1);
        m.GetProperty("rejected").GetInt64().ShouldBe(2);
        m.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("index").GetInt64()).ShouldBe([1, 2]);
        (await app.Store.CountActivitiesAsync()).ShouldBe(1);
        allBad.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        allBad.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var bad = JsonDocument.Parse(await allBad.Content.ReadAsStringAsync()).RootElement;
        bad.GetProperty("status").GetInt32().ShouldBe(422);
        bad.GetProperty("field").GetString().ShouldBe("outcome");
        bad.GetProperty("rejected").GetInt64().ShouldBe(1);
        bad.GetProperty("errors").GetProperty("items[0].outcome")[0].GetString()!.ShouldContain("not an outcome");
        bad.GetProperty("item_errors")[0].GetProperty("field").GetString().ShouldBe("outcome");
        bad.GetProperty("item_errors")[0].GetProperty("index").GetInt64().ShouldBe(0);
        notJson.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        scalar.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_backoff_then_parked_and_requeued_after_recovery()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.StatusCode = 500;
        await using var app = await LeadScoreApplication.StartAsync(TestStores.Sqlite, o =>
        {
            o.Webhooks.MaxAttempts = 3;
            o.Webhooks.RetryBaseDelay = TimeSpan.FromMilliseconds(200);
            o.Webhooks.PollInterval = TimeSpan.FromMilliseconds(20);
        });
        using var client = await app.AdminClientAsync();
        var (id, secret) = await CreateHookAsync(client, receiver.Url, "became_a");

        (await app.Service<WebhookNotifier>().NotifyAsync([TestData.Change("L9", (50, "B"), (85, "A"))])).ShouldBe(1);

        var parked = await WaitForDeliveryAsync(client, id, "parked");
        parked[0].GetProperty("attempts").GetInt32().ShouldBe(3);
        parked[0].GetProperty("last_status_code").GetInt32().ShouldBe(500);
        var times = receiver.Requests.Select(r => r.At).ToList();
        times.Count.ShouldBe(3);
        // Lower bounds only (never upper ones): each attempt is recorded by the receiver before it answers, and the
        // next one cannot start before that failed answer plus the backoff, however loaded the machine is.
        (times[1] - times[0]).TotalMilliseconds.ShouldBeGreaterThanOrEqualTo(200);
        (times[2] - times[1]).TotalMilliseconds.ShouldBeGreaterThanOrEqualTo(400, "the delay doubles");
        receiver.Requests.Select(r => Convert.ToBase64String(r.Body)).Distinct().Count().ShouldBe(1, "every retry sends the same signed body");

        receiver.StatusCode = 204;
        var requeue = JsonDocument.Parse(await (await client.PostAsync($"/api/v1/webhooks/{id}/deliveries/requeue", null)).Content.ReadAsStringAsync()).RootElement;
        requeue.GetProperty("requeued").GetInt32().ShouldBe(1);
        await WaitForDeliveryAsync(client, id, "delivered");
        WebhookSignature.Verify(secret, receiver.Requests.Last().Body, receiver.Requests.Last().Headers[WebhookSignature.Header]).ShouldBeTrue();
        (await app.CreateClient(await app.CreateKeyAsync(ApiScopes.Metrics)).GetStringAsync("/metrics")).ShouldContain("leadscore_webhook_deliveries_total{outcome=\"parked\"} 1");
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Pending_deliveries_survive_a_restart_and_are_delivered_by_the_next_server(string backend)
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.StatusCode = 503;
        var (store, ws, _) = await TestStores.OpenAsync(backend);
        await using var _s = store;
        void Options(ServerOptions o)
        {
            o.Webhooks.RetryBaseDelay = TimeSpan.FromSeconds(1);
            o.Webhooks.PollInterval = TimeSpan.FromMilliseconds(20);
        }

        var first = await LeadScoreApplication.StartAsync(store, ws, Options);
        using (var client = await first.AdminClientAsync())
        {
            var (id, _) = await CreateHookAsync(client, receiver.Url, "grade_changed");
            await first.Service<WebhookNotifier>().NotifyAsync([TestData.Change("L1", (40, "C"), (60, "B")), TestData.Change("L2", (60, "B"), (40, "C"))]);
            await receiver.WaitForAsync(2);
            await first.StopAsync();

            var pending = await ((IWebhookStore)store).ListDeliveriesAsync(id, 10);
            pending.Count.ShouldBe(2);
            pending.ShouldAllBe(d => d.Status == DeliveryStatus.Pending && d.Attempts == 1);

            receiver.StatusCode = 200;
            await using var second = await LeadScoreApplication.StartAsync(store, ws, Options);
            using var client2 = await second.AdminClientAsync();
            await WaitForDeliveryAsync(client2, id, "delivered", count: 2);
            receiver.Requests.Count.ShouldBe(4);
        }
    }
}
