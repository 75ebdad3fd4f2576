using System.Net;
using System.Text.Json;
using LeadScore.Application.Fairness;
using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Engine.Fairness;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Monitoring;

/// <summary>GET /api/v1/monitoring/fairness on a real server: the monitoring scope, per-window groups read from the lead rows, ProblemDetails on bad queries.</summary>
public sealed class MonitoringFairnessApiTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    [Theory, MemberData(nameof(Backends))]
    public async Task Fairness_per_window_answers_the_monitoring_scope_with_the_groups_of_the_stored_leads(string backend)
    {
        var time = new ManualTime(MonitoringWorld.After);
        var (store, ws, _) = await TestStores.OpenAsync(backend, time);
        await using var app = await LeadScoreApplication.StartAsync(store, ws, seed: async s =>
        {
            await MonitoringWorld.SeedAsync(s, drift: false);
            // The logged leads, stored with a country that is not a model feature: monitoring reads it from the lead row.
            await s.UpsertLeadsAsync(Enumerable.Range(0, MonitoringWorld.Weeks).SelectMany(week => Enumerable.Range(0, MonitoringWorld.PerWeek).Select(i => new Lead
            {
                Id = $"w{week}-{i:D3}", CreatedAt = MonitoringWorld.T0.AddDays(7 * week),
                Attributes = new Dictionary<string, string?> { ["country"] = i % 4 == 0 ? "FR" : i % 2 == 0 ? "DE" : "US" },
            })).ToList());
        }, time: time, settings: new Dictionary<string, string?> { ["LeadScore:Monitoring:MonitoringInterval"] = "01:00:00" });
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Monitoring));
        using var scorer = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));

        var before = JsonDocument.Parse(await client.GetStringAsync("/api/v1/monitoring/fairness")).RootElement;
        await app.Service<FairnessService>().SetAsync(new FairnessSettings { Sensitive = ["country"], MinGroupSize = 10 });
        var r = await client.GetAsync("/api/v1/monitoring/fairness?window=7");
        var body = await r.Content.ReadAsStringAsync();

        before.GetProperty("message").GetString()!.ShouldContain("no sensitive or watched attribute");
        before.GetProperty("windows").GetArrayLength().ShouldBe(0);
        r.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        var view = JsonDocument.Parse(body).RootElement;
        view.GetProperty("model_version").GetString().ShouldBe("v1");
        view.GetProperty("attributes_from").GetString().ShouldBe("declared in settings");
        view.GetProperty("ratio_threshold").GetDouble().ShouldBe(0.8);
        view.GetProperty("min_group_size").GetInt32().ShouldBe(10);
        var windows = view.GetProperty("windows").EnumerateArray().ToList();
        windows.Count.ShouldBe(MonitoringWorld.Weeks);
        // The same figures as the use case computes (the API is a view of it).
        var expected = MonitoringViews.Fairness(await app.Service<MonitoringService>().RunAsync(new MonitoringRequest { RaiseAlerts = false }));
        foreach (var (w, e) in windows.Zip(expected.Windows))
        {
            w.GetProperty("leads").GetInt32().ShouldBe(MonitoringWorld.PerWeek);
            w.GetProperty("matured").GetInt32().ShouldBe(MonitoringWorld.PerWeek);
            var groups = w.GetProperty("attributes")[0].GetProperty("groups").EnumerateArray().ToList();
            groups.Select(g => (g.GetProperty("group").GetString(), g.GetProperty("rows").GetInt32())).ShouldBe([("US", 200), ("DE", 100), ("FR", 100)]);
            groups.Select(g => g.GetProperty("ab_share").GetDouble()).ShouldBe(e.Attributes[0].Groups.Select(g => g.AbShare!.Value));
            groups.Select(g => g.GetProperty("tpr_gap").GetDouble()).ShouldBe(e.Attributes[0].Groups.Select(g => g.TprGap!.Value));
        }
        view.GetProperty("latest").GetProperty("start").GetDateTimeOffset().ShouldBe(MonitoringWorld.T0.AddDays(7 * (MonitoringWorld.Weeks - 1)));
        (await app.Store.ListAlertsAsync()).ShouldBeEmpty("a GET only reads");

        var refused = await scorer.GetAsync("/api/v1/monitoring/fairness");
        refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        foreach (var (url, field) in new[] { ("/api/v1/monitoring/fairness?window=0", "window"), ("/api/v1/monitoring/fairness?slot=x", "slot"), ("/api/v1/monitoring/fairness?since=soon", "since") })
        {
            var bad = await client.GetAsync(url);
            bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest, url);
            bad.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(url);
        }
    }
}
