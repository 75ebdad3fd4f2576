using System.Net;
using System.Text;
using System.Text.Json;
using LeadScore.Application.Governance;
using LeadScore.Application.Monitoring;
using LeadScore.Core;
using LeadScore.Hosting;
using LeadScore.Server.Webhooks;
using LeadScore.Storage;
using LeadScore.TestKit;

namespace LeadScore.Server.Tests.Monitoring;

/// <summary>
/// Monitoring through a real server on a manual clock: the /api/v1/monitoring endpoints (scope, ProblemDetails), the
/// leader's periodic job raising alerts once and delivering signed model-level webhooks, the Prometheus gauges, and
/// retention of the prediction log.
/// </summary>
public sealed class MonitoringApiTests
{
    public static TheoryData<string> Backends => TestStores.Backends;

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private static async Task<LeadScoreApplication> StartAsync(string backend, ManualTime time, bool drift = true)
    {
        var (store, ws, _) = await TestStores.OpenAsync(backend, time);
        // The job's own timer is left out of the test (an hour's interval, a minute's tick): the test calls RunOnceAsync as the timer would.
        return await LeadScoreApplication.StartAsync(store, ws, seed: s => MonitoringWorld.SeedAsync(s, drift), time: time,
            settings: new Dictionary<string, string?> { ["LeadScore:Monitoring:MonitoringInterval"] = "01:00:00" });
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string url)
    {
        var r = await client.GetAsync(url);
        var body = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement;
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Drift_performance_and_alerts_answer_the_monitoring_scope_with_per_window_figures(string backend)
    {
        var time = new ManualTime(MonitoringWorld.After);
        await using var app = await StartAsync(backend, time);
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Monitoring));

        var drift = await GetJsonAsync(client, "/api/v1/monitoring/drift?window=7");
        var performance = await GetJsonAsync(client, "/api/v1/monitoring/performance");

        drift.GetProperty("model_version").GetString().ShouldBe("v1");
        drift.GetProperty("slot").GetString().ShouldBe("champion");
        var windows = drift.GetProperty("windows").EnumerateArray().ToList();
        windows.Count.ShouldBe(MonitoringWorld.Weeks);
        windows.Take(MonitoringWorld.DriftWeek).ShouldAllBe(w => !w.GetProperty("dataset_drift").GetBoolean());
        windows.Skip(MonitoringWorld.DriftWeek).ShouldAllBe(w => w.GetProperty("dataset_drift").GetBoolean());
        // The latest window's verdict is at the top, in the CLI's shape.
        drift.GetProperty("dataset_drift").GetBoolean().ShouldBeTrue();
        var features = drift.GetProperty("features").EnumerateArray().ToList();
        features.Select(f => f.GetProperty("feature").GetString()).ShouldBe(["visits", "source"], ignoreOrder: true);
        features.ShouldAllBe(f => f.GetProperty("drifted").GetBoolean());
        var visits = features.Single(f => f.GetProperty("feature").GetString() == "visits");
        visits.GetProperty("test").GetString().ShouldBe("wasserstein");
        visits.GetProperty("statistic").GetDouble().ShouldBeGreaterThan(visits.GetProperty("threshold").GetDouble());
        drift.GetProperty("score_drift").GetProperty("drifted").GetBoolean().ShouldBeTrue("more visits and more events raise the scores");
        windows[0].GetProperty("scores").GetProperty("median").GetDouble()
            .ShouldBeLessThan(windows[^1].GetProperty("scores").GetProperty("median").GetDouble());

        performance.GetProperty("held_out_auc").GetDouble().ShouldBeInRange(0.6, 1.0);
        var cohorts = performance.GetProperty("windows").EnumerateArray().ToList();
        cohorts.Count.ShouldBe(MonitoringWorld.Weeks);
        foreach (var c in cohorts)
        {
            c.GetProperty("cohort_matured").GetBoolean().ShouldBeTrue();
            c.GetProperty("matured_rows").GetInt32().ShouldBe(MonitoringWorld.PerWeek);
            Math.Abs(c.GetProperty("realized_auc").GetDouble() - c.GetProperty("estimated_auc").GetDouble()).ShouldBeLessThan(0.1);
            c.GetProperty("calibration_per_grade").GetArrayLength().ShouldBeGreaterThan(0);
            c.GetProperty("concept").GetProperty("dropped").GetBoolean().ShouldBeFalse("the truth did not change, only the leads");
        }

        // The GETs only read: alerts are raised by the job (and `monitor`), never by a GET.
        (await GetJsonAsync(client, "/api/v1/monitoring/alerts")).GetProperty("alerts").GetArrayLength().ShouldBe(0);
        (await app.Store.ListAlertsAsync()).ShouldBeEmpty();

        using var admin = await app.AdminClientAsync();
        (await admin.GetAsync("/api/v1/monitoring/drift")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Keys_without_the_monitoring_scope_are_refused_and_bad_query_values_are_problem_details_naming_the_field(string backend)
    {
        var time = new ManualTime(MonitoringWorld.After);
        await using var app = await StartAsync(backend, time);
        using var scorer = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score, ApiScopes.Metrics));
        using var anonymous = app.CreateClient();
        using var client = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Monitoring));

        foreach (var path in new[] { "drift", "performance", "alerts" })
        {
            var refused = await scorer.GetAsync($"/api/v1/monitoring/{path}");
            refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await refused.Content.ReadAsStringAsync()).ShouldContain("'monitoring' scope");
            (await anonymous.GetAsync($"/api/v1/monitoring/{path}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
        foreach (var (url, field) in new[]
        {
            ("/api/v1/monitoring/drift?window=0", "window"), ("/api/v1/monitoring/drift?window=abc", "window"), ("/api/v1/monitoring/performance?window=400", "window"),
            ("/api/v1/monitoring/drift?since=yesterday", "since"), ("/api/v1/monitoring/performance?since=2026-13-01", "since"),
            ("/api/v1/monitoring/drift?slot=primary", "slot"), ("/api/v1/monitoring/alerts?since=nope", "since"), ("/api/v1/monitoring/alerts?limit=0", "limit"),
        })
        {
            var r = await client.GetAsync(url);
            r.StatusCode.ShouldBe(HttpStatusCode.BadRequest, url);
            r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            var problem = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
            problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(url);
        }
        var unknown = await client.GetAsync("/api/v1/monitoring/drift?model=v9");
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var challenger = await GetJsonAsync(client, "/api/v1/monitoring/drift?slot=challenger");
        challenger.GetProperty("message").GetString().ShouldBe("no model serves as challenger");
        challenger.GetProperty("windows").GetArrayLength().ShouldBe(0);
        // since= cuts the windows: two 14-day windows from the drift on.
        var since = await GetJsonAsync(client, $"/api/v1/monitoring/drift?window=14&since={MonitoringWorld.T0.AddDays(7 * MonitoringWorld.DriftWeek):yyyy-MM-dd}");
        since.GetProperty("windows").GetArrayLength().ShouldBe(2);
        since.GetProperty("windows")[0].GetProperty("predictions").GetInt64().ShouldBe(2 * MonitoringWorld.PerWeek);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task The_leader_job_raises_each_alert_once_sends_signed_model_webhooks_and_exports_gauges(string backend)
    {
        await using var receiver = await Receiver.StartAsync();
        var time = new ManualTime(MonitoringWorld.After);
        await using var app = await StartAsync(backend, time);
        using var admin = await app.AdminClientAsync();
        var create = await admin.PostAsync("/api/v1/webhooks", Json($$"""{"url":"{{receiver.Url}}","rule":"drift_detected"}"""));
        create.StatusCode.ShouldBe(HttpStatusCode.Created);
        var secret = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        var perf = await admin.PostAsync("/api/v1/webhooks", Json($$"""{"url":"{{receiver.Url}}","rule":"performance_dropped"}"""));
        perf.StatusCode.ShouldBe(HttpStatusCode.Created);
        var perfHook = JsonDocument.Parse(await perf.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var driftHook = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        (await admin.PostAsync("/api/v1/webhooks", Json($$"""{"url":"{{receiver.Url}}","rule":"drift_detected","threshold":50}"""))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var job = app.Service<MonitoringMaintenance>();
        (await app.Service<LeaderElection>().TryAcquireAsync(CancellationToken.None)).ShouldBeTrue();

        var first = await job.RunOnceAsync();
        var notDue = await job.RunOnceAsync();
        time.Advance(TimeSpan.FromHours(1));
        var second = await job.RunOnceAsync();

        first.ShouldNotBeNull();
        var champion = first.Single();
        var driftAlerts = champion.NewAlerts.Where(a => a.Kind == MonitoringService.DriftDetected).ToList();
        driftAlerts.Select(a => a.WindowStart).ShouldBe(Enumerable.Range(MonitoringWorld.DriftWeek, MonitoringWorld.Weeks - MonitoringWorld.DriftWeek).Select(w => MonitoringWorld.T0.AddDays(7 * w)));
        champion.NewAlerts.ShouldNotContain(a => a.Kind == MonitoringService.PerformanceDropped);
        notDue.ShouldBeNull("the interval has not passed on the clock");
        second.ShouldNotBeNull();
        second.Single().NewAlerts.ShouldBeEmpty("an alert is raised once per kind, model, slot and window");
        second.Single().Windows.Count.ShouldBeLessThan(champion.Windows.Count, "later runs look only at windows that can still change");
        (await app.Store.ListAlertsAsync()).Count.ShouldBe(driftAlerts.Count);

        await receiver.WaitForAsync(driftAlerts.Count);
        (await app.Webhooks.ListDeliveriesAsync(driftHook, 100)).Count.ShouldBe(driftAlerts.Count, "one delivery per alert");
        (await app.Webhooks.ListDeliveriesAsync(perfHook, 100)).ShouldBeEmpty("the performance_dropped hook hears nothing of drift");
        receiver.Requests.Count.ShouldBe(driftAlerts.Count);
        foreach (var got in receiver.Requests)
        {
            got.Headers[WebhookSignature.EventHeader].ShouldBe("model.drift_detected");
            WebhookSignature.Verify(secret, got.Body, got.Headers[WebhookSignature.Header]).ShouldBeTrue();
            var evt = JsonDocument.Parse(got.Body).RootElement;
            evt.GetProperty("type").GetString().ShouldBe("model.drift_detected");
            evt.GetProperty("model_version").GetString().ShouldBe("v1");
            evt.GetProperty("slot").GetString().ShouldBe("champion");
            evt.GetProperty("window").GetProperty("start").GetDateTimeOffset().ShouldBeGreaterThanOrEqualTo(MonitoringWorld.T0.AddDays(7 * MonitoringWorld.DriftWeek));
            evt.GetProperty("message").GetString()!.ShouldContain("features drifted");
            var top = evt.GetProperty("details").GetProperty("features").EnumerateArray().ToList();
            top.Select(f => f.GetProperty("feature").GetString()).ShouldBe(["visits", "source"], ignoreOrder: true);
            top.ShouldAllBe(f => f.GetProperty("statistic").GetDouble() > 0 && f.GetProperty("sentence").GetString()!.Length > 10);
        }

        using var monitoring = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Monitoring));
        var listed = (await GetJsonAsync(monitoring, "/api/v1/monitoring/alerts?limit=2")).GetProperty("alerts").EnumerateArray().ToList();
        listed.Count.ShouldBe(2);
        listed[0].GetProperty("kind").GetString().ShouldBe("drift_detected");
        listed[0].GetProperty("window_start").GetDateTimeOffset().ShouldBe(MonitoringWorld.T0.AddDays(7 * (MonitoringWorld.Weeks - 1)), "newest window first");
        listed[0].GetProperty("details").GetProperty("features").GetArrayLength().ShouldBe(2);

        using var scraper = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Metrics));
        var metrics = await (await scraper.GetAsync("/metrics")).Content.ReadAsStringAsync();
        metrics.ShouldContain("leadscore_monitoring_dataset_drift{slot=\"champion\",version=\"v1\"} 1");
        metrics.ShouldContain("leadscore_monitoring_drifted_importance_share{slot=\"champion\",version=\"v1\"} 1");
        metrics.ShouldContain($"leadscore_monitoring_open_alerts{{slot=\"champion\",version=\"v1\",kind=\"drift_detected\"}} {driftAlerts.Count}");
        metrics.ShouldContain("leadscore_monitoring_open_alerts{slot=\"champion\",version=\"v1\",kind=\"performance_dropped\"} 0");
        Gauge(metrics, "leadscore_monitoring_estimated_auc{slot=\"champion\",version=\"v1\"}").ShouldBeInRange(0.55, 1.0);
        Gauge(metrics, "leadscore_monitoring_realized_auc{slot=\"champion\",version=\"v1\"}").ShouldBeInRange(0.55, 1.0);
        metrics.ShouldContain("leadscore_prediction_log_dropped_total 0");
        metrics.ShouldContain("leadscore_prediction_log_pending 0");
        metrics.ShouldNotContain("slot=\"challenger\"");

        // Scoring through the API is logged by the background writer: the counter follows.
        using var score = app.CreateClient(await app.CreateKeyAsync(ApiScopes.Score));
        for (var i = 0; i < 3; i++) (await score.PostAsync("/api/v1/score", Json("""{"attributes":{"visits":5,"source":"web"}}"""))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await PredictionLogApiTests.WaitForLoggedAsync(app.Store, MonitoringWorld.Weeks * MonitoringWorld.PerWeek + 3)).ShouldBe(MonitoringWorld.Weeks * MonitoringWorld.PerWeek + 3);
        var logger = app.Service<PredictionLogger>();
        for (var i = 0; i < 100 && logger.Written < 3; i++) await Task.Delay(50);
        var after = await (await scraper.GetAsync("/metrics")).Content.ReadAsStringAsync();
        after.ShouldContain("leadscore_prediction_log_written_total 3");
    }

    private static double Gauge(string metrics, string series)
    {
        var line = metrics.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory, MemberData(nameof(Backends))]
    public async Task Retention_deletes_logged_predictions_older_than_the_limit_and_a_dry_run_only_counts_them(string backend)
    {
        // 8 weeks of predictions; the clock at the end of week 8, the limit 4 weeks: the first four weeks go.
        var time = new ManualTime(MonitoringWorld.T0.AddDays(7 * MonitoringWorld.Weeks));
        await using var app = await StartAsync(backend, time, drift: false);
        var retention = app.Service<RetentionService>();
        retention.Options.PredictionLog = TimeSpan.FromDays(28);
        var total = await app.Store.CountPredictionsAsync();

        var dry = (await retention.RunAsync(dryRun: true)).Single(c => c.DataClass == "prediction_log");
        var countAfterDry = await app.Store.CountPredictionsAsync();
        var real = (await retention.RunAsync()).Single(c => c.DataClass == "prediction_log");

        total.ShouldBe(MonitoringWorld.Weeks * MonitoringWorld.PerWeek);
        dry.Rows.ShouldBe(4 * MonitoringWorld.PerWeek);
        dry.Before.ShouldBe(MonitoringWorld.T0.AddDays(28));
        countAfterDry.ShouldBe(total);
        real.Rows.ShouldBe(4 * MonitoringWorld.PerWeek);
        (await app.Store.CountPredictionsAsync()).ShouldBe(4 * MonitoringWorld.PerWeek);
        (await app.Store.GetPredictionSpanAsync())!.Value.First.ShouldBeGreaterThanOrEqualTo(MonitoringWorld.T0.AddDays(28));
        (await retention.RunAsync()).Single(c => c.DataClass == "prediction_log").Rows.ShouldBe(0);
    }
}
